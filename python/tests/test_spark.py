"""The PySpark job (examples/spark/generate.py) in local mode: its Parquet
output equals the single-machine table, whatever the number of tasks.

Needs pyspark and a Java runtime (CI installs both); a missing one is a
failure, never a skip. One SparkSession (``local[2]``, bound to 127.0.0.1) serves
the whole module.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Iterator, List

import pytest

import ghostload

import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[2]
JOB = REPO / "examples" / "spark" / "generate.py"

#: 2 000 meters x 12 months on 50 transformers.
SMALL: Dict[str, Any] = {"num_meters": 2000, "num_transformers": 50, "num_months": 12, "seed": 11}
#: Daily readings, a few meters, with missing readings (null kWh).
DAILY: Dict[str, Any] = {
    "num_meters": 40,
    "num_transformers": 4,
    "num_months": 2,
    "seed": 5,
    "resolution": "daily",
    "missing_rate": 0.02,
}


def load_job() -> ModuleType:
    """examples/spark/generate.py as a module."""
    spec = importlib.util.spec_from_file_location("ghostload_spark_job", JOB)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered as users' `from generate import run` would be: the job must
    # then ship its functions by value (executors cannot import the file).
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def job() -> ModuleType:
    return load_job()


@pytest.fixture(scope="module")
def spark(job: ModuleType) -> Iterator[Any]:
    session = job.build_session("local[2]", app_name="ghostload-test")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def expected(job: ModuleType, config: Dict[str, Any], table: str) -> pa.Table:
    """The single-machine table, with the job's dictionary -> string and
    timestamp casts."""
    t = pa.table(ghostload.generate(config, tables=[table]).table(table))
    target = job.spark_schema_of(t.schema)
    return pa.Table.from_batches([job.spark_compatible(b, target) for b in t.to_batches()], schema=target)


def assert_same(actual: pa.Table, want: pa.Table, keys: List[str]) -> None:
    """Same columns, rows and values (sorted by ``keys``); timestamps compared
    as instants (Spark writes them in UTC)."""
    assert actual.column_names == want.column_names
    assert actual.num_rows == want.num_rows
    actual = actual.sort_by([(k, "ascending") for k in keys])
    want = want.sort_by([(k, "ascending") for k in keys])
    for name in want.column_names:
        a = actual.column(name).combine_chunks()
        w = want.column(name).combine_chunks()
        if pa.types.is_timestamp(w.type):
            w = w.cast(a.type)  # same instant, the reader's zone
        assert a.type == w.type, name
        assert a.equals(w), f"column {name} differs"


@pytest.mark.parametrize("shards", [1, 3])
def test_consumption_equals_single_machine(job: ModuleType, spark: Any, tmp_path: Path, shards: int) -> None:
    config = ghostload.resolve_config(**SMALL)
    out = str(tmp_path / "consumption")
    job.run(spark, config=config, table="consumption", shards=shards, output=out)
    parts = sorted(p.name for p in Path(out).glob("part-*.parquet"))
    assert len(parts) == shards
    actual = pq.read_table(out)
    want = expected(job, config, "consumption")
    assert actual.column("meter_id").type == pa.string()
    assert_same(actual, want, ["meter_id"])
    # The parts, in partition order, are the meters in order (no shuffle).
    ids = pa.concat_tables([pq.read_table(Path(out) / p, columns=["meter_id"]) for p in parts])
    assert ids.column("meter_id").to_pylist() == want.column("meter_id").to_pylist()


@pytest.mark.parametrize(
    "table, keys",
    [
        ("meters", ["meter_id"]),
        ("consumption_long", ["meter_id", "month"]),
        ("labels", ["meter_id"]),
        ("events", ["meter_id"]),
    ],
)
def test_other_tables_equal_single_machine(
    job: ModuleType, spark: Any, tmp_path: Path, table: str, keys: List[str]
) -> None:
    config = ghostload.resolve_config(**SMALL)
    out = str(tmp_path / table)
    job.run(spark, config=config, table=table, shards=3, output=out)
    want = expected(job, config, table)
    assert want.num_rows > 0
    assert_same(pq.read_table(out), want, keys)


def test_daily_readings_equal_single_machine(job: ModuleType, spark: Any, tmp_path: Path) -> None:
    config = ghostload.resolve_config(**DAILY)
    out = str(tmp_path / "readings")
    job.run(spark, config=config, table="readings", shards=3, output=out)
    actual = pq.read_table(out)
    want = expected(job, config, "readings")
    assert want.column("kwh").null_count > 0  # missing readings travel as nulls
    assert pa.types.is_timestamp(actual.column("timestamp").type)
    assert_same(actual, want, ["meter_id", "timestamp"])


def test_schema_is_spark_compatible(job: ModuleType) -> None:
    """No dictionary columns reach Spark; nullability is the table's."""
    config = ghostload.resolve_config(**DAILY)
    for table in ("consumption", "consumption_long", "readings", "labels", "events"):
        schema = job.arrow_schema(config, table)
        assert not any(pa.types.is_dictionary(f.type) for f in schema), table
    readings = job.arrow_schema(config, "readings")
    assert readings.field("timestamp").type == pa.timestamp("us", tz="Asia/Manila")
    assert readings.field("kwh").nullable and not readings.field("meter_id").nullable


def test_command_line_overrides(job: ModuleType) -> None:
    args = job.parse_args(
        ["--shards", "4", "--output", "/x", "--num-meters", "300", "--seed", "9", "--resolution", "daily"]
    )
    assert args.shards == 4 and args.table == "consumption"
    assert job.overrides_of(args) == {"num_meters": 300, "seed": 9, "resolution": "daily"}



def test_script_from_the_command_line(job: ModuleType, tmp_path: Path) -> None:
    """`python examples/spark/generate.py ...` (run as __main__, its own
    session): the documented command works and writes the same table."""
    out = tmp_path / "cli"
    args = ["--num-meters", "300", "--num-transformers", "10", "--num-months", "3", "--seed", "3"]
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1")
    run = subprocess.run(
        [sys.executable, str(JOB), "--master", "local[2]", "--shards", "2", "--output", str(out), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert "2 shards" in run.stdout
    config = ghostload.resolve_config(num_meters=300, num_transformers=10, num_months=3, seed=3)
    assert_same(pq.read_table(out), expected(job, config, "consumption"), ["meter_id"])
