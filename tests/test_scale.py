"""The scale-out demos run here, small (600 generated records in three raw-landing-shaped partitions),
so the README's "When one machine is not enough" keeps describing code that works:

- ``benchmarks/scale.py``: the partitions on a Dask ``LocalCluster``, and as Prefect tasks on a
  ``DaskTaskRunner`` (under the session's Prefect test harness), each giving what the
  serial run gives; a warehouse copied into a DuckLake read by several processes at once.
- ``benchmarks/lake_pg.py``: a DuckLake whose catalogue is a throwaway local PostgreSQL server,
  two writer processes appending while two reader processes query, every count a reader saw a
  whole snapshot's.

The figures the demos print are not checked (timing is the benchmark's business), only what they
prove. The demos themselves also assert that the parallel runs agree with the serial one.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from evidence.parse import Deletion, iter_records

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402  (benchmarks/, put on the path above)
import lake_pg  # noqa: E402
import scale  # noqa: E402

RECORDS, PARTITION = 600, 200


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate.generate(RECORDS, tmp_path_factory.mktemp("scale") / "pubmed-600.xml", seed=11)


@pytest.fixture(scope="module")
def parts(source: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return scale.split(source, tmp_path_factory.mktemp("scale-raw"), PARTITION)


@pytest.fixture(scope="module")
def serial(parts: list[Path]) -> list[tuple[int, int]]:
    return [scale.process_partition(str(p)) for p in parts]


def _pmids(path: Path) -> list[str]:
    return [r["pmid"] for r in iter_records(path) if not isinstance(r, Deletion)]


def test_partitions_are_the_file_cut_on_record_boundaries_into_landed_files(source, parts):
    assert [p.name for p in parts] == ["batch-0001.xml.zst", "batch-0002.xml.zst", "batch-0003.xml.zst"]
    cut = [_pmids(p) for p in parts]
    assert [len(c) for c in cut] == [PARTITION] * 3
    assert [pmid for c in cut for pmid in c] == _pmids(source)


def test_serial_run_reads_every_record_of_each_partition_into_a_study(serial):
    assert serial == [(PARTITION, PARTITION)] * 3


def test_dask_cluster_gives_what_the_serial_run_gives(parts, serial):
    out = scale.dask_demo(parts, serial, t_serial=1.0)  # asserts its results are the serial ones
    assert out["ran"], out.get("why")
    assert (out["records"], out["partitions"], out["workers"]) == (RECORDS, 3, os.cpu_count() or 2)


def test_prefect_flow_on_a_dask_task_runner_gives_what_the_serial_run_gives(prefect_harness, parts, serial, tmp_path):
    # the session's Prefect server; the demo asserts its results are the serial ones
    out = scale.prefect_dask_demo(parts, serial, tmp_path, own_server=False, baseline=False)
    assert out["ran"], out.get("why")
    assert (out["records"], out["task_runs"]) == (RECORDS, 3)


def test_ducklake_copy_is_read_by_several_processes_at_once(parts, tmp_path):
    out = scale.ducklake_demo(parts[0], tmp_path, readers=2)
    assert out["ran"], out.get("why")
    assert out["articles"] == PARTITION
    assert out["readers_ok"] and out["reader_errors"] == []


def test_ducklake_on_postgres_takes_writers_and_readers_at_once_and_readers_see_whole_snapshots(parts, tmp_path):
    out = lake_pg.ducklake_postgres_demo(parts, tmp_path / "pg", readers=2, writers=2)
    assert out["ran"], out.get("why")
    assert re.fullmatch(r"PostgreSQL \d+(\.\d+)* \(local server\)", out["catalogue"]), out["catalogue"]
    assert out["process_failures"] == [] and out["readers_ready"] == 2
    assert out["partition_sizes"] == [PARTITION] * 3 and out["articles_ok"]
    assert out["articles"] == out["articles_with_studies"] == RECORDS
    # readers queried while the writers appended and never saw half a partition
    assert out["reader_queries"] > 0 and out["reader_errors"] == 0
    assert out["reader_counts_consistent"]
    assert set(out["reader_counts_seen"]) <= {0, 200, 400, 600}
    # one snapshot per partition, and time travel to each gives that snapshot's count
    assert out["writer_snapshots"] == 3
    assert sorted(out["articles_by_version"].values()) == [0, 200, 400, 600]
    assert out["time_travel"]["articles"] == PARTITION
