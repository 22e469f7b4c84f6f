"""`ghostload.generate`: the same values as the CLI, every table readable by
pyarrow, polars, pandas and DuckDB without a copy, configuration errors that
name the field."""

from __future__ import annotations

import filecmp
import json
import os
import subprocess

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import ghostload

SMALL = dict(num_meters=600, num_transformers=20, num_months=14, seed=11, anomaly_rate=0.15)
CLI_FLAGS = [
    "--num-meters", "600", "--num-transformers", "20", "--num-months", "14",
    "--seed", "11", "--anomaly-rate", "0.15",
]


@pytest.fixture(scope="module")
def small() -> ghostload.Dataset:
    return ghostload.generate(**SMALL)


@pytest.fixture(scope="module")
def cli_dir(cli: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = str(tmp_path_factory.mktemp("cli") / "data")
    subprocess.run([cli, "-q", "generate", *CLI_FLAGS, "--output-dir", out], check=True)
    return out


def test_tables_hold_the_cli_files_values(small: ghostload.Dataset, cli_dir: str) -> None:
    pairs = {
        "transformers": "transformers.csv",
        "consumption": "meter_consumption.csv",
        "labels": "anomaly_labels.csv",
        "events": "events.csv",
        "energy_balance": "energy_balance.csv",
    }
    for table, file in pairs.items():
        ours = getattr(small, table).to_pandas()
        if table == "consumption":
            # meter_consumption.csv = the meter table, then the wide table after its meter_id.
            ours = small.meters.to_pandas().join(ours.drop(columns="meter_id"))
        theirs = pd.read_csv(os.path.join(cli_dir, file))
        assert list(ours.columns) == list(theirs.columns), table
        assert len(ours) == len(theirs) > 0, table
        for column in ours.columns:
            a, b = ours[column], theirs[column]
            if a.dtype == bool:
                a = a.astype("int64")
            elif isinstance(a.dtype, pd.CategoricalDtype):
                a = a.astype(str)
            elif table == "energy_balance" and column == "month":
                a = pd.to_datetime(a).dt.strftime("%Y-%m")
            if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
                # Exactly the parsed CSV values (bit for bit), NaN where empty.
                assert np.array_equal(a.to_numpy(), b.to_numpy(), equal_nan=True), f"{table}.{column}"
            else:
                assert a.astype(str).tolist() == b.astype(str).tolist(), f"{table}.{column}"


def test_write_gives_the_cli_files_byte_for_byte(small: ghostload.Dataset, cli_dir: str, tmp_path) -> None:
    out = tmp_path / "py"
    files = small.write(out)
    assert "meter_consumption.csv" in files
    cli_files = sorted(f for f in os.listdir(cli_dir) if f != "synthetic_data_generation.log")
    assert sorted(os.listdir(out)) == cli_files
    match, mismatch, errors = filecmp.cmpfiles(out, cli_dir, cli_files, shallow=False)
    assert mismatch == [] and errors == [], (mismatch, errors)


def test_every_table_reads_in_every_library(small: ghostload.Dataset) -> None:
    for name in small.table_names:
        table = small.table(name)
        arrow = pa.table(table)
        assert arrow.num_rows == table.num_rows == len(table) > 0, name
        assert arrow.column_names == table.column_names
        frame = pl.DataFrame(table)
        assert frame.shape == (arrow.num_rows, arrow.num_columns), name
        assert len(table.to_pandas()) == arrow.num_rows
        t = table  # noqa: F841 (DuckDB finds it by name)
        assert duckdb.sql("select count(*) from t").fetchall()[0][0] == arrow.num_rows, name


def test_tables_are_shared_not_copied(small: ghostload.Dataset) -> None:
    wide = small.consumption
    arrow = pa.table(wide)
    column = wide.column_names.index("monthly_consumption_202401")
    assert arrow.column(column).chunk(0).buffers()[1].address == wide._native.buffer_address(0, column)


def test_same_config_same_values_any_thread_count() -> None:
    one = ghostload.generate(**SMALL, threads=1).consumption.to_arrow()
    two = ghostload.generate(**SMALL, threads=2).consumption.to_arrow()
    assert one.equals(two)
    other = ghostload.generate(**{**SMALL, "seed": 12}).consumption.to_arrow()
    assert not one.equals(other)


def test_config_from_dict_toml_and_overrides(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('num_meters = 300\nnum_transformers = 10\n[balance]\nenabled = false\n')
    c = ghostload.resolve_config(str(path), seed=5)
    assert (c["num_meters"], c["num_transformers"], c["seed"]) == (300, 10, 5)
    assert c["balance"]["enabled"] is False
    # Overrides go over the file, key by key.
    c = ghostload.resolve_config(path, balance={"power_factor": 0.85})
    assert c["balance"]["enabled"] is False and c["balance"]["power_factor"] == 0.85
    ds = ghostload.generate({"num_meters": 200, "num_transformers": 8}, preset="demo")
    assert ds.config["num_months"] == ghostload.resolve_config(preset="demo")["num_months"]
    assert ds.meters.num_rows == 200
    with pytest.raises(KeyError, match="energy balance is off"):
        ghostload.generate(path).energy_balance


def test_config_errors_name_field_value_and_range(tmp_path) -> None:
    with pytest.raises(ghostload.ConfigError) as e:
        ghostload.generate(anomaly_rate=1.5)
    assert isinstance(e.value, ValueError)
    assert (e.value.field, e.value.value, e.value.allowed) == ("anomaly_rate", "1.5", "0.0 ..= 1.0")
    assert str(e.value) == "invalid configuration: `anomaly_rate` = 1.5 is out of range; allowed: 0.0 ..= 1.0"
    with pytest.raises(ghostload.ConfigError) as e:
        ghostload.generate(balance={"colour": "red"})
    assert e.value.field == "balance.colour" and "unknown field" in str(e.value)
    with pytest.raises(ghostload.ConfigError) as e:
        ghostload.generate(num_meters="many")
    assert e.value.field == "num_meters" and e.value.value == '"many"'
    with pytest.raises(ghostload.ConfigError) as e:
        ghostload.generate(preset="huge")
    assert e.value.field == "preset"
    bad = tmp_path / "bad.toml"
    bad.write_text("num_meters = -3\n")
    with pytest.raises(ghostload.ConfigError) as e:
        ghostload.generate(bad)
    assert "bad.toml" in str(e.value) and "line 1" in str(e.value)
    with pytest.raises(ghostload.ConfigError) as e:
        ghostload.generate(num_meters=5, num_transformers=10)
    assert e.value.field == "num_meters"


def test_config_errors_equal_the_clis(cli: str) -> None:
    run = subprocess.run([cli, "generate", "--anomaly-rate", "1.5", "--output-dir", "/nonexistent/x"],
                         capture_output=True, text=True)
    assert run.returncode == 2
    with pytest.raises(ghostload.ConfigError) as e:
        ghostload.generate(anomaly_rate=1.5)
    assert str(e.value) in run.stderr


def test_long_consumption_is_the_wide_table_unpivoted(small: ghostload.Dataset) -> None:
    wide = pl.DataFrame(small.consumption)
    long = pl.DataFrame(small.consumption_long)
    assert long.shape == (600 * 14, 3)
    months = [c for c in wide.columns if c.startswith("monthly_consumption_")]
    melted = wide.select(["meter_id", *months]).unpivot(index="meter_id", value_name="kwh")
    a = melted.with_columns(pl.col("variable").str.slice(20).alias("m")).sort(["meter_id", "m"])
    b = long.with_columns(pl.col("meter_id").cast(pl.String)).sort(["meter_id", "month"])
    assert a["kwh"].to_list() == b["kwh"].to_list()
    assert b["month"].dt.strftime("%Y%m").to_list() == a["m"].to_list()


def test_interval_readings_with_missing_values() -> None:
    ds = ghostload.generate(num_meters=50, num_transformers=5, num_months=1, resolution="hourly", missing_rate=0.02)
    readings = pa.table(ds.readings)
    assert readings.num_rows == 50 * 31 * 24
    assert readings.schema.field("timestamp").type == pa.timestamp("ms", tz="Asia/Manila")
    nulls = readings.column("kwh").null_count
    missing = pl.DataFrame(ds.events).filter(pl.col("event_type") == "missing_data")
    assert nulls > 0 and missing.height > 0
    with pytest.raises(KeyError, match="monthly dataset has no interval readings"):
        ghostload.generate(num_meters=20, num_transformers=2).readings


def test_only_the_tables_asked_for_are_built() -> None:
    ds = ghostload.generate(**SMALL, tables=["consumption"])
    assert ds.table_names == ["consumption", "consumption_long"]
    with pytest.raises(KeyError, match="left it out"):
        ds.labels
    with pytest.raises(ValueError, match="allowed: transformers, meters"):
        ghostload.generate(**SMALL, tables=["meter"])


def test_checks_and_config_are_reported(small: ghostload.Dataset) -> None:
    names = [name for name, passed, _ in small.checks]
    assert len(names) >= 5 and len(set(names)) == len(names), names
    assert all(passed for _, passed, _ in small.checks)
    assert small.config["num_meters"] == 600
    assert json.dumps(small.config)
    assert "600 meters" in repr(small)
