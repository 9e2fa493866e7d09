"""Settings: one place, explicit > environment > TOML > defaults, clear errors before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence.errors import ConfigError
from evidence.settings import SETTINGS, Settings, load_settings


def test_defaults_are_the_documented_contract():
    s = load_settings(env={}, config=None)
    assert s.db == Path("warehouse/evidence.duckdb")
    assert s.raw_dir == Path("warehouse/raw")
    assert (s.pubmed, s.batch_size, s.esearch_cap, s.schedule) == ("replay", 200, 10_000, "30 2 * * *")
    assert s.snapshot == Path("../shared/corpus/snapshot/pubmed.xml")


def test_environment_beats_toml_and_arguments_beat_both(tmp_path):
    toml = tmp_path / "evidence.toml"
    toml.write_text('db = "from-toml.duckdb"\nbatch_size = 50\npubmed = "replay"\n')
    env = {"EVIDENCE_CONFIG": str(toml), "EVIDENCE_BATCH_SIZE": "75"}
    s = load_settings(env=env)
    assert (s.db, s.batch_size) == (Path("from-toml.duckdb"), 75)
    s = load_settings(env=env, db=tmp_path / "arg.duckdb")
    assert s.db == tmp_path / "arg.duckdb"
    assert s.raw_dir == tmp_path / "raw"


@pytest.mark.parametrize("env, message", [
    ({"EVIDENCE_PUBMED": "live"}, "NCBI_EMAIL"),
    ({"EVIDENCE_PUBMED": "live", "NCBI_EMAIL": "not-an-address"}, "not an e-mail address"),
    ({"EVIDENCE_PUBMED": "offline"}, "'replay' or 'live'"),
    ({"EVIDENCE_BATCH_SIZE": "lots"}, "whole number"),
    ({"EVIDENCE_BATCH_SIZE": "0"}, "at least 1"),
    ({"EVIDENCE_SCHEDULE": "every night"}, "not a valid cron"),
    ({"EVIDENCE_TIMEZONE": "Mars/Olympus"}, "not an IANA time zone"),
    ({"EVIDENCE_EUTILS_URL": "eutils.example"}, "http://"),
])
def test_bad_settings_are_refused_with_the_fix(env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(env=env, config=None)


def test_unknown_toml_keys_are_named(tmp_path):
    toml = tmp_path / "evidence.toml"
    toml.write_text('db = "x.duckdb"\nbatchsize = 5\n')
    with pytest.raises(ConfigError, match="unknown setting.*batchsize.*known settings"):
        load_settings(env={}, config=toml)


def test_broken_toml_is_reported(tmp_path):
    toml = tmp_path / "evidence.toml"
    toml.write_text('db = "unterminated\n')
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(env={}, config=toml)


def test_live_mode_with_email_is_accepted():
    s = load_settings(env={"EVIDENCE_PUBMED": "live", "NCBI_EMAIL": "desk@clinic.example",
                           "NCBI_API_KEY": "abc123"}, config=None)
    assert s.live and s.ncbi_api_key == "abc123"


def test_api_key_never_in_repr():
    s = load_settings(env={"NCBI_API_KEY": "sekret-key-123"}, config=None)
    assert "sekret-key-123" not in repr(s) and "<set>" in repr(s)


def test_every_setting_is_a_field_and_documented_in_the_readme():
    fields = set(Settings.__dataclass_fields__)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for s in SETTINGS:
        assert s.key in fields
        assert s.env in readme, f"{s.env} is not documented in README.md"
