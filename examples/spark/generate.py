#!/usr/bin/env python3
"""Generate a ghostload table with PySpark, one shard per task, into Parquet.

What it does
------------
``spark.range(N, numPartitions=N)`` makes N partitions holding one id each;
``mapInArrow`` runs, for partition id ``k`` (0-based), ::

    ghostload.iter_batches(config, shard=(k + 1, N), table=TABLE)

and hands every Arrow record batch to Spark, which writes them as Parquet
(``df.write.mode("overwrite").parquet(OUTPUT)``). Every task generates only
its own contiguous range of meters from the seed: nothing is shuffled and no
task reads another's data. Meter ranges follow the partition order, so the
Parquet parts ``part-00000...``, ``part-00001...`` hold the meters in order,
and their rows are the single-machine table's rows (``ghostload generate``
with the same configuration) whatever N is.

The configuration is resolved once, on the driver (``--config`` TOML file,
then the ``--num-meters``... overrides), and shipped to the tasks as a dict,
so the executors need the ``ghostload`` package but not the TOML file.

Spark types
-----------
The Spark schema is derived from the Arrow schema of the table (the first
batch of a one-meter shard, with the same configuration), with the fields'
nullability kept. Two casts are made in every Arrow batch before Spark sees
it (``spark_compatible``):

* dictionary-encoded columns (``customer_class``, ``barangay``; ``meter_id``
  in ``consumption_long`` and ``readings``) are decoded to plain strings:
  Spark has no dictionary type. Parquet written by Spark dictionary-encodes
  them again on disk.
* timestamps (``readings.timestamp``) are cast to microseconds, Spark's
  resolution; the instant is unchanged. Spark stores them as UTC instants
  (``TimestampType``); the zone name is the session's
  (``spark.sql.session.timeZone``).

Running it
----------
Locally (``local[2]`` unless ``--master`` or ``$GHOSTLOAD_SPARK_MASTER``
says otherwise when run with plain ``python``; the Python running this script is used for the
workers; Spark is bound to 127.0.0.1)::

    python examples/spark/generate.py --shards 4 \\
        --num-meters 200000 --num-months 24 --output /tmp/consumption.parquet

On a cluster, let ``spark-submit`` choose the master and get ``ghostload``
onto the executors, either installed in the executors' Python
(``pip install ghostload`` in the image / bootstrap action) or shipped with
the job as a packed virtual environment::

    python -m venv gl && gl/bin/pip install ghostload pyarrow venv-pack
    gl/bin/venv-pack -o gl.tar.gz
    PYSPARK_PYTHON=./gl/bin/python spark-submit \\
        --master yarn --deploy-mode cluster --archives gl.tar.gz#gl \\
        --files large.toml examples/spark/generate.py --shards 64 --config large.toml \\
        --output hdfs:///data/ghostload/consumption

    spark-submit --master k8s://https://API:6443 --deploy-mode cluster \\
        --conf spark.kubernetes.container.image=REGISTRY/spark-ghostload:TAG \\
        local:///opt/ghostload/generate.py --shards 64 \\
        --config /opt/ghostload/large.toml --output s3a://bucket/consumption

(the image: a Spark image with ``pip install ghostload pyarrow`` and this
script; the TOML file is read by the driver only, hence ``--files`` in YARN
cluster mode.) ``--py-files`` ships pure-Python files only; ``ghostload`` carries a
compiled extension, hence the installed package or the packed venv. Use
at least as many shards as executor cores; each task runs
``--threads`` generator threads (default ``spark.task.cpus``).
See ``docs/scale-out.md`` for Kubernetes indexed Jobs and Slurm arrays.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable, Dict, Iterator, List, Optional

import pyarrow as pa

import ghostload

#: Tables ``iter_batches`` yields (rows per meter).
TABLES = ("meters", "consumption", "consumption_long", "readings", "labels", "events")


def spark_type(t: pa.DataType) -> pa.DataType:
    """The Arrow type Spark takes for a column of type ``t``: dictionaries
    decoded to their values, large strings as strings, timestamps in
    microseconds; anything else unchanged."""
    if pa.types.is_dictionary(t):
        return spark_type(t.value_type)
    if pa.types.is_large_string(t):
        return pa.string()
    if pa.types.is_timestamp(t) and t.unit != "us":
        return pa.timestamp("us", tz=t.tz)
    return t


def spark_schema_of(schema: pa.Schema) -> pa.Schema:
    """``schema`` with :func:`spark_type` applied to every field (names and
    nullability kept)."""
    return pa.schema(
        [pa.field(f.name, spark_type(f.type), nullable=f.nullable, metadata=f.metadata) for f in schema]
    )


def spark_compatible(batch: pa.RecordBatch, target: pa.Schema) -> pa.RecordBatch:
    """``batch`` cast column by column to ``target`` (see
    :func:`spark_schema_of`); columns already of the target type are not
    copied."""
    columns = [
        col if col.type == field.type else col.cast(field.type)
        for col, field in zip(batch.columns, target)
    ]
    return pa.RecordBatch.from_arrays(columns, schema=target)


def arrow_schema(config: Dict[str, Any], table: str) -> pa.Schema:
    """The Arrow schema of ``table`` under ``config``, as Spark will get it:
    from one batch of a one-meter shard (cheap whatever the dataset's size)."""
    n = int(config["num_meters"])
    first = next(iter(ghostload.iter_batches(config, shard=(1, n), table=table, batch_size=1, threads=1)))
    return spark_schema_of(pa.record_batch(first).schema)


def shard_generator(
    config: Dict[str, Any], table: str, shards: int, batch_size: int, threads: int, target: pa.Schema
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: for each id ``k`` of its partition,
    shard ``k + 1`` of ``shards``, batch by batch. It closes over plain
    values only (the config dict, the schema), which Spark pickles to the
    executors."""

    def generate_shards(ids: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import ghostload  # on the executor

        for id_batch in ids:
            for k in id_batch.column(0).to_pylist():
                for b in ghostload.iter_batches(
                    config,
                    shard=(int(k) + 1, shards),
                    table=table,
                    batch_size=batch_size,
                    threads=threads,
                ):
                    yield spark_compatible(pa.record_batch(b), target)

    return generate_shards


def overrides_of(args: argparse.Namespace) -> Dict[str, Any]:
    """The configuration overrides given on the command line (unset ones left out)."""
    keys = ("num_meters", "num_transformers", "num_months", "seed", "resolution", "start_month")
    return {k: getattr(args, k) for k in keys if getattr(args, k) is not None}


def build_session(master: Optional[str], app_name: str = "ghostload-generate") -> Any:
    """A SparkSession. Local masters are bound to 127.0.0.1 and run their
    Python workers with this interpreter (so they import the same
    ``ghostload``); on a cluster, ``spark-submit`` decides."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name).config("spark.ui.showConsoleProgress", "false")
    if master is not None:
        builder = builder.master(master)
    if master is not None and master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
        )
    # Interval readings: plain INT64 microsecond timestamps in Parquet, not INT96.
    builder = builder.config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    return builder.getOrCreate()


def run(
    spark: Any,
    *,
    config: Dict[str, Any],
    table: str,
    shards: int,
    output: str,
    batch_size: int = 65_536,
    threads: Optional[int] = None,
) -> int:
    """Generates ``table`` of the resolved ``config`` in ``shards`` Spark
    tasks and writes it as Parquet to ``output`` (overwritten). Returns the
    number of shards (= Parquet parts)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    if shards < 1:
        raise ValueError(f"--shards must be at least 1, not {shards}")
    if threads is None:
        threads = int(spark.conf.get("spark.task.cpus", "1"))
    target = arrow_schema(config, table)
    schema = from_arrow_schema(target, prefer_timestamp_ntz=False)
    fn = shard_generator(config, table, shards, batch_size, threads, target)
    if __name__ != "__main__":
        # Imported (not run as a script): ship this module's functions by
        # value, as executors cannot import this file.
        from pyspark import cloudpickle

        module = sys.modules.get(__name__)
        if module is not None:
            cloudpickle.register_pickle_by_value(module)
    df = spark.range(shards, numPartitions=shards).mapInArrow(fn, schema)
    df.write.mode("overwrite").parquet(output)
    return shards


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """The command line (``argv``, default ``sys.argv[1:]``)."""
    p = argparse.ArgumentParser(
        description="Generate a ghostload table with PySpark (one shard per task) into Parquet."
    )
    p.add_argument("--shards", type=int, required=True, help="number of shards = Spark tasks")
    p.add_argument(
        "--table", default="consumption", choices=TABLES, help="table to generate (default consumption)"
    )
    p.add_argument("--output", required=True, help="output directory (Parquet, overwritten)")
    p.add_argument("--config", help="TOML configuration file (read on the driver)")
    p.add_argument("--preset", help="preset under the config (demo, default, production, utility)")
    p.add_argument("--num-meters", type=int)
    p.add_argument("--num-transformers", type=int)
    p.add_argument("--num-months", type=int)
    p.add_argument("--start-month", help="YYYY-MM")
    p.add_argument("--seed", type=int)
    p.add_argument("--resolution", choices=("monthly", "daily", "hourly", "15min"))
    p.add_argument("--batch-size", type=int, default=65_536, help="meters per Arrow batch")
    p.add_argument("--threads", type=int, help="generator threads per task (default spark.task.cpus)")
    p.add_argument(
        "--master",
        default=os.environ.get("GHOSTLOAD_SPARK_MASTER"),
        help="Spark master (default: spark-submit's, or $GHOSTLOAD_SPARK_MASTER; e.g. 'local[2]')",
    )
    return p.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Resolves the configuration, runs the job, stops the session; 0 on success."""
    args = parse_args(argv)
    config = ghostload.resolve_config(args.config, preset=args.preset, **overrides_of(args))
    master = args.master
    if master is None and "PYSPARK_GATEWAY_PORT" not in os.environ:
        master = "local[2]"  # run with plain `python`, not spark-submit: local mode
    spark = build_session(master)
    spark.sparkContext.setLogLevel("ERROR")
    try:
        run(
            spark,
            config=config,
            table=args.table,
            shards=args.shards,
            output=args.output,
            batch_size=args.batch_size,
            threads=args.threads,
        )
    finally:
        spark.stop()
    print(
        f"{args.table}: {config['num_meters']} meters x {config['num_months']} months "
        f"({config.get('resolution', 'monthly')}), seed {config['seed']}, "
        f"{args.shards} shards -> {args.output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
