"""The topic query (packaged, from a topic file, or from a setting) and the date windows added to it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from evidence.errors import ConfigError
from evidence.extract import KNEE
from evidence.fetch import topic_query, topic_scope, windowed_term
from evidence.fetch.query import load_topic
from evidence.settings import Settings


def test_the_packaged_topic_is_needling_and_knee():
    query = topic_query(Settings())
    needling, knee = re.fullmatch(r"\((.*)\) AND \((.*)\)", query).groups()
    assert needling.startswith('"Dry Needling"[Mesh] OR "dry needl*"[tiab]')
    for term in ('"intramuscular stimulation"[tiab]', '"periosteal needl*"[tiab]', '"electrical needl*"[tiab]',
                 '"percutaneous electrolysis"[tiab]'):
        assert term in needling
    for term in ('"Knee"[Mesh]', '"Osteoarthritis, Knee"[Mesh]', '"Patellofemoral Pain Syndrome"[Mesh]',
                 '"Arthroplasty, Replacement, Knee"[Mesh]', '"patellar tendin*"[tiab]',
                 '''"jumper's knee"[tiab]''', '"anterior knee pain"[tiab]'):
        assert term in knee
    assert query.count("(") == query.count(")") and query.count('"') % 2 == 0
    assert "acupuncture" not in query.lower()


def test_an_explicit_query_wins_over_any_topic_file(tmp_path):
    topic = tmp_path / "topic.toml"
    topic.write_text('query = "cupping AND shoulder"\n')
    assert topic_query(Settings(query="knee[tiab]", topic=topic)) == "knee[tiab]"
    assert topic_query(Settings(topic=topic)) == "cupping AND shoulder"


def test_a_topic_file_of_concepts_ors_terms_and_ands_concepts(tmp_path):
    topic = tmp_path / "topic.toml"
    topic.write_text('[concepts]\nwhat = ["cupping", "\\"Cupping Therapy\\"[Mesh]"]\nwhere = ["shoulder*[tiab]"]\n')
    assert load_topic(topic) == '(cupping OR "Cupping Therapy"[Mesh]) AND (shoulder*[tiab])'


def _scope(topic: Path) -> object:
    return topic_scope(Settings(topic=topic))


@pytest.mark.parametrize("read, text, says", [
    (load_topic, "", "has no query"),
    (load_topic, 'query = ""', "non-empty string"),
    (load_topic, 'query = "x"\n[concepts]\na = ["y"]', "both `query` and [concepts]"),
    (load_topic, "[concepts]\na = []", "concept 'a' must be a non-empty list"),
    (load_topic, "query = ", "not valid TOML"),
    (_scope, 'query = "x"\nconditions = ["frozen_shoulder"]', "unknown condition label(s) 'frozen_shoulder'"),
    (_scope, 'query = "x"\nconditions = []', "non-empty list of condition labels"),
    (_scope, 'query = "x"\nconditions = "shoulder_pain"', "non-empty list of condition labels"),
    (_scope, 'query = "x"\nconditions = ["shoulder_pain"]', "add a top-level `area"),
    (_scope, 'query = "x"\nconditions = ["knee_oa", "hip_pain"]', "add a top-level `area"),
    (_scope, 'query = "x"\nconditions = ["shoulder_pain"]\narea = ""', "`area` must be a non-empty string"),
    (_scope, 'query = "x"\ntitle = ["Dry needling"]', "`title` must be a string"),
])
def test_a_bad_topic_file_says_what_to_fix(tmp_path, read, text, says):
    """The query (load_topic) and what relevance is about (topic_scope): each fault named, in the file."""
    topic = tmp_path / "topic.toml"
    topic.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(says)) as err:
        read(topic)
    assert str(topic) in str(err.value)


def test_a_topic_is_about_the_knee_unless_its_file_lists_other_conditions(tmp_path):
    packaged = topic_scope(Settings())
    assert (set(packaged.conditions), packaged.area) == (set(KNEE), "knee")
    topic = tmp_path / "topic.toml"
    topic.write_text('query = "cupping AND shoulder"\n')  # no conditions: the knee's
    assert (topic_scope(Settings(topic=topic)).conditions, topic_scope(Settings(topic=topic)).area) == (KNEE, "knee")
    topic.write_text('conditions = ["shoulder_pain", "neck_pain", "shoulder_pain"]\narea = "shoulder"\n'
                     '[concepts]\nwhat = ["\\"Dry Needling\\"[Mesh]"]\nwhere = ["shoulder*[tiab]"]\n')
    scope = topic_scope(Settings(topic=topic, query="anything"))  # a query replaces the query only
    assert (scope.conditions, scope.area) == (("shoulder_pain", "neck_pain"), "shoulder")
    assert scope.title == "Dry needling for shoulder conditions"  # without a title, from the area
    assert load_topic(topic) == '("Dry Needling"[Mesh]) AND (shoulder*[tiab])'
    topic.write_text('title = " Dry needling for the neck and shoulder "\nconditions = ["shoulder_pain"]\n'
                     'area = "shoulder"\nquery = "x"\n')
    assert topic_scope(Settings(topic=topic)).title == "Dry needling for the neck and shoulder"
    assert packaged.title == "Dry needling for knee conditions"  # the packaged file's own title


@pytest.mark.parametrize("key", ['conditions = ["shoulder_pain"]', 'area = "shoulder"', 'title = "Shoulder"'])
def test_topic_keys_written_below_concepts_are_not_taken_for_a_concept(tmp_path, key):
    topic = tmp_path / "topic.toml"
    topic.write_text(f'[concepts]\nwhat = ["needl*[tiab]"]\n{key}\n')
    with pytest.raises(ConfigError, match=f"`{key.split()[0]}` is inside \\[concepts\\].*move it above \\[concepts\\]"):
        topic_query(Settings(topic=topic))


def test_a_missing_topic_file_names_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="EVIDENCE_TOPIC"):
        topic_query(Settings(topic=tmp_path / "nope.toml"))


def test_windowed_term_covers_created_entered_and_revised_records():
    assert windowed_term("knee", date(2024, 3, 1), date(2024, 3, 9)) == (
        '(knee) AND (("2024/03/01"[crdt] : "2024/03/09"[crdt]) OR ("2024/03/01"[edat] : "2024/03/09"[edat])'
        ' OR ("2024/03/01"[mdat] : "2024/03/09"[mdat]))')
    assert windowed_term("knee", None, None) == "knee"
    assert '("2024/03/01"[crdt] : "3000/12/31"[crdt])' in windowed_term("knee", date(2024, 3, 1), None)
    with pytest.raises(ConfigError, match="swap"):
        windowed_term("knee", date(2024, 3, 9), date(2024, 3, 1))
