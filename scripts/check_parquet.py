#!/usr/bin/env python3
"""Reads a `meter_readings` Parquet file (or a directory of parts) with every
installed reader - pyarrow, pandas, polars, DuckDB, PySpark - giving each nothing but
the path, and checks what it sees: row count, column names, column kinds
(timestamp time-zone aware, kwh float, meter_id string or categorical) and
the null count of kwh. All readers must agree. With `--id-column
transformer_id` it checks a `transformer_readings` table the same way.

    scripts/check_parquet.py FILE_OR_DIR [--rows N] [--nulls N] [--tz ZONE] [--id-column NAME]

Exit 0 when every reader that could be imported agrees (at least one must),
1 on any mismatch, 2 on bad usage.
"""

import argparse
import importlib
import os
import sys

COLUMNS = ["meter_id", "timestamp", "kwh"]


def files_of(path):
    if os.path.isdir(path):
        parts = sorted(
            os.path.join(path, f) for f in os.listdir(path) if f.endswith(".parquet")
        )
        if not parts:
            raise SystemExit(f"no .parquet files in {path}")
        return parts
    return [path]


def tz_matches(seen, expected):
    """polars spells a fixed offset `+08:00` as `Etc/GMT-8`, pandas `UTC+08:00`; DuckDB gives no zone name."""
    if expected is None or seen is None:
        return True
    if seen in (expected, f"UTC{expected}"):  # pandas: `UTC+08:00`
        return True
    if expected[:1] in "+-" and expected.endswith(":00"):
        hours = int(expected[1:3])
        sign = "-" if expected[0] == "+" else "+"
        return seen == f"Etc/GMT{sign}{hours}" or (hours == 0 and seen in ("UTC", "Etc/UTC"))
    return False


def with_pyarrow(path):
    import pyarrow.parquet as pq
    import pyarrow.types as pt

    table = pq.read_table(path)
    meter, ts, kwh = (table.schema.field(c).type for c in COLUMNS)
    return {
        "rows": table.num_rows,
        "columns": table.column_names,
        "timestamp_tz": ts.tz if pt.is_timestamp(ts) else None,
        "timestamp_ok": pt.is_timestamp(ts) and ts.tz is not None,
        "kwh_float": pt.is_floating(kwh),
        "meter_string": pt.is_string(meter)
        or (pt.is_dictionary(meter) and pt.is_string(meter.value_type)),
        "nulls": table.column("kwh").null_count,
    }


def with_pandas(path):
    import pandas as pd

    frame = pd.read_parquet(path)
    ts = frame["timestamp"].dtype
    tz = getattr(ts, "tz", None)
    meter = frame[COLUMNS[0]]
    return {
        "rows": len(frame),
        "columns": list(frame.columns),
        "timestamp_tz": str(tz) if tz is not None else None,
        "timestamp_ok": pd.api.types.is_datetime64_any_dtype(ts) and tz is not None,
        "kwh_float": pd.api.types.is_float_dtype(frame["kwh"].dtype),
        "meter_string": isinstance(meter.dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(meter.dtype)
        or pd.api.types.is_object_dtype(meter.dtype),
        "nulls": int(frame["kwh"].isna().sum()),
    }


def with_polars(path):
    import polars as pl

    frame = pl.read_parquet(path if not os.path.isdir(path) else os.path.join(path, "*.parquet"))
    ts = frame.schema["timestamp"]
    meter = frame.schema[COLUMNS[0]]
    return {
        "rows": frame.height,
        "columns": frame.columns,
        "timestamp_tz": getattr(ts, "time_zone", None),
        "timestamp_ok": isinstance(ts, pl.Datetime) and ts.time_zone is not None,
        "kwh_float": frame.schema["kwh"] in (pl.Float64, pl.Float32),
        "meter_string": meter in (pl.String, pl.Categorical) or isinstance(meter, (pl.Categorical, pl.Enum)),
        "nulls": frame["kwh"].null_count(),
    }


def with_duckdb(path):
    import duckdb

    source = path if not os.path.isdir(path) else os.path.join(path, "*.parquet")
    con = duckdb.connect()
    described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [source]).fetchall()
    types = {name: kind for name, kind, *_ in described}
    rows, nulls = con.execute(
        "SELECT count(*), count(*) - count(kwh) FROM read_parquet(?)", [source]
    ).fetchone()
    return {
        "rows": rows,
        "columns": [name for name, *_ in described],
        "timestamp_tz": None,  # TIMESTAMP WITH TIME ZONE carries no zone name
        "timestamp_ok": types.get("timestamp") == "TIMESTAMP WITH TIME ZONE",
        "kwh_float": types.get("kwh") in ("DOUBLE", "FLOAT"),
        "meter_string": types.get(COLUMNS[0]) == "VARCHAR",
        "nulls": nulls,
    }


def with_pyspark(path):
    """Spark in local mode, bound to loopback (these machines allow no other
    address); `spark.read.parquet` on the path, nothing else."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("check_parquet")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        df = spark.read.parquet(path)
        types = dict(df.dtypes)
        rows = df.count()
        nulls = df.filter(df.kwh.isNull()).count()
        return {
            "rows": rows,
            "columns": df.columns,
            "timestamp_tz": None,  # Spark's TimestampType is an instant; the zone is the session's
            "timestamp_ok": types.get("timestamp") == "timestamp",
            "kwh_float": types.get("kwh") in ("double", "float"),
            "meter_string": types.get(COLUMNS[0]) == "string",
            "nulls": nulls,
        }
    finally:
        spark.stop()


READERS = {
    "pyarrow": with_pyarrow,
    "pandas": with_pandas,
    "polars": with_polars,
    "duckdb": with_duckdb,
    "pyspark": with_pyspark,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--rows", type=int, help="expected row count")
    parser.add_argument("--nulls", type=int, help="expected null kwh count")
    parser.add_argument("--tz", help="expected time zone of timestamp (e.g. +08:00)")
    parser.add_argument(
        "--id-column", default="meter_id", help="name of the id column (transformer_id for transformer_readings)"
    )
    args = parser.parse_args()
    COLUMNS[0] = args.id_column
    if not os.path.exists(args.path):
        print(f"{args.path}: no such file or directory", file=sys.stderr)
        return 2
    files_of(args.path)

    failures, seen, ran = [], {}, []
    for name, read in READERS.items():
        module = "pyarrow" if name == "pyarrow" else name
        try:
            importlib.import_module(module)
        except ImportError:
            print(f"{name}: not installed, skipped")
            continue
        try:
            got = read(args.path)
        except Exception as e:  # a reader that cannot read the file is a failure
            failures.append(f"{name}: could not read: {type(e).__name__}: {e}")
            continue
        ran.append(name)
        seen[name] = got
        problems = []
        if got["columns"] != COLUMNS:
            problems.append(f"columns {got['columns']} != {COLUMNS}")
        for key, what in [
            ("timestamp_ok", "timestamp is not a time-zone-aware timestamp"),
            ("kwh_float", "kwh is not a float"),
            ("meter_string", f"{COLUMNS[0]} is not a string or categorical"),
        ]:
            if not got[key]:
                problems.append(what)
        if not tz_matches(got["timestamp_tz"], args.tz):
            problems.append(f"time zone {got['timestamp_tz']!r} != {args.tz!r}")
        if args.rows is not None and got["rows"] != args.rows:
            problems.append(f"{got['rows']} rows != {args.rows}")
        if args.nulls is not None and got["nulls"] != args.nulls:
            problems.append(f"{got['nulls']} null kwh != {args.nulls}")
        status = "ok" if not problems else "; ".join(problems)
        print(f"{name}: {got['rows']} rows, {got['nulls']} null kwh, tz {got['timestamp_tz']}: {status}")
        failures += [f"{name}: {p}" for p in problems]

    if not ran:
        failures.append("no reader could be imported (pip install pyarrow pandas polars duckdb)")
    for key in ("rows", "nulls"):
        values = {name: got[key] for name, got in seen.items()}
        if len(set(values.values())) > 1:
            failures.append(f"readers disagree on {key}: {values}")
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    print(f"readers run: {', '.join(ran) or 'none'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
