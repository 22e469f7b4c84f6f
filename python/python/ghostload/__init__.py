"""ghostload: deterministic synthetic datasets for electricity-theft and
non-technical-loss detection.

>>> import ghostload
>>> ds = ghostload.generate(preset="demo", seed=7)
>>> ds.meters.num_rows
500

Every table (``ds.transformers``, ``ds.meters``, ``ds.consumption``,
``ds.consumption_long``, ``ds.readings``, ``ds.labels``, ``ds.events``,
``ds.energy_balance``) is an Arrow table that pyarrow, polars, pandas (through
pyarrow) and DuckDB read without a copy, through the Arrow PyCapsule
interface: ``pa.table(ds.meters)``, ``pl.DataFrame(ds.meters)``,
``duckdb.sql("select * from ds_meters")`` with ``ds_meters = ds.meters``.

The same configuration and seed give the same values as the command-line
tool (``ghostload generate``), on any machine and thread count.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence, Tuple, Union

from . import _native

__version__: str = _native.__version__

__all__ = [
    "Batch",
    "ConfigError",
    "Dataset",
    "GenerationError",
    "Injection",
    "InjectionContext",
    "Table",
    "generate",
    "iter_batches",
    "resolve_config",
]

ConfigLike = Union[None, Mapping[str, Any], str, "os.PathLike[str]"]


class ConfigError(ValueError):
    """A configuration that cannot be used: the same message as the CLI's,
    with the field it names (its dotted path in the TOML schema, e.g.
    ``balance.power_factor``), the value given and what is allowed."""

    def __init__(self, message: str, field: str, value: str, allowed: str) -> None:
        super().__init__(message)
        #: Dotted path of the field, e.g. ``anomaly_rate``.
        self.field = field
        #: The value that was given, as text.
        self.value = value
        #: What would have been allowed, in words.
        self.allowed = allowed


class GenerationError(RuntimeError):
    """Generation or writing failed (a custom injector misbehaved, a file
    could not be written, a check failed)."""


@dataclass(frozen=True)
class Injection:
    """What an injector did to a series: the anomaly's snake_case type, its
    first period (0-based), its last period (``None`` while it lasts to the
    end of the series) and whether it is theft."""

    anomaly_type: str
    onset: int
    end: Optional[int] = None
    is_theft: bool = True


@dataclass(frozen=True)
class InjectionContext:
    """What an injector knows of the meter it is given.

    ``onset`` is an onset drawn from the meter's own random stream that
    honours ``min_normal_periods`` (the built-in injectors use the same
    draw); ``seed`` seeds the injector's own randomness deterministically,
    e.g. ``numpy.random.default_rng(ctx.seed)``.
    """

    meter_id: str
    transformer_id: str
    customer_class: str
    baseline_kwh: float
    resolution: str
    periods: int
    onset: int
    earliest_onset: int
    seed: int


class Table:
    """One table: an Arrow stream of record batches.

    Pass it to any Arrow consumer (``pyarrow.table(t)``,
    ``polars.DataFrame(t)``, DuckDB); the buffers are shared, not copied.
    ``to_arrow()``, ``to_pandas()`` and ``to_polars()`` are conveniences that
    import pyarrow or polars only when called.
    """

    __slots__ = ("_native",)

    def __init__(self, native: Any) -> None:
        self._native = native

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self._native.__arrow_c_stream__(requested_schema)

    def __arrow_c_schema__(self) -> Any:
        return self._native.__arrow_c_schema__()

    @property
    def name(self) -> str:
        """The table's name (``meters``, ``consumption``...)."""
        return self._native.name

    @property
    def num_rows(self) -> int:
        """Rows in all record batches."""
        return self._native.num_rows

    @property
    def num_batches(self) -> int:
        """Record batches (chunks)."""
        return self._native.num_batches

    @property
    def nbytes(self) -> int:
        """Bytes of the Arrow buffers the table holds."""
        return self._native.nbytes

    @property
    def column_names(self) -> list:
        """Column names, in order."""
        return self._native.column_names

    def to_arrow(self) -> Any:
        """A ``pyarrow.Table`` (zero-copy; needs pyarrow)."""
        import pyarrow as pa

        return pa.table(self)

    def to_pandas(self, **kwargs: Any) -> Any:
        """A ``pandas.DataFrame`` (through pyarrow; ``kwargs`` go to
        ``pyarrow.Table.to_pandas``)."""
        return self.to_arrow().to_pandas(**kwargs)

    def to_polars(self) -> Any:
        """A ``polars.DataFrame`` (zero-copy; needs polars)."""
        import polars as pl

        return pl.DataFrame(self)

    def __len__(self) -> int:
        return self._native.num_rows

    def __repr__(self) -> str:
        return repr(self._native)


class Batch(Table):
    """One record batch of :func:`iter_batches`: a :class:`Table` that also
    offers ``__arrow_c_array__``, so ``pyarrow.record_batch(b)`` takes it
    (zero-copy), e.g. to yield from a Spark ``mapInArrow`` function."""

    __slots__ = ()

    def __arrow_c_array__(self, requested_schema: Any = None) -> Any:
        return self._native.__arrow_c_array__(requested_schema)


class Dataset:
    """A generated dataset, in memory: its tables, configuration and checks."""

    def __init__(self, native: Any) -> None:
        self._native = native

    def table(self, name: str) -> Table:
        """The table ``name``; ``KeyError`` naming the tables there are otherwise."""
        return Table(self._native.table(name))

    @property
    def table_names(self) -> list:
        """The names of this dataset's tables."""
        return self._native.table_names()

    @property
    def transformers(self) -> Table:
        """``transformers.csv``: one row per transformer."""
        return self.table("transformers")

    @property
    def meters(self) -> Table:
        """The meters' attributes (the first seven columns of ``meter_consumption.csv``)."""
        return self.table("meters")

    @property
    def consumption(self) -> Table:
        """The consumption matrix (wide): ``meter_id``, then one
        ``monthly_consumption_YYYYMM`` column per month (kWh), ready as a
        feature matrix. ``meter_consumption.csv`` is ``meters`` joined with
        it on ``meter_id``."""
        return self.table("consumption")

    @property
    def consumption_long(self) -> Table:
        """The monthly consumption in long form: ``meter_id, month, kwh``
        (built on first use)."""
        return self.table("consumption_long")

    @property
    def readings(self) -> Table:
        """The interval readings (``meter_id, timestamp, kwh``; ``kwh`` null
        when missing). Daily, hourly and 15-minute datasets only."""
        return self.table("readings")

    @property
    def labels(self) -> Table:
        """``anomaly_labels.csv``: one row per anomalous meter."""
        return self.table("labels")

    @property
    def events(self) -> Table:
        """``events.csv``: every event, anomalous or benign."""
        return self.table("events")

    @property
    def energy_balance(self) -> Table:
        """``energy_balance.csv``: one row per transformer and month."""
        return self.table("energy_balance")

    @property
    def config(self) -> dict:
        """The effective configuration (the TOML schema, as a dict)."""
        return json.loads(self._native.config_json())

    @property
    def checks(self) -> list:
        """Every integrity check run on the dataset: ``(name, passed, detail)``."""
        return self._native.checks()

    @property
    def warnings(self) -> list:
        """What the pipeline adjusted (e.g. a lowered per-transformer minimum)."""
        return self._native.warnings()

    def write(
        self,
        dir: Union[str, "os.PathLike[str]"],
        *,
        readings_format: str = "parquet",
        layout: str = "long",
        batch_size: int = 32_768,
    ) -> list:
        """Writes the files ``ghostload generate`` writes (the same bytes,
        without the run log) into ``dir``, atomically. Returns the file names.

        The files are generated again, batch by batch, from the same
        configuration: memory stays bounded whatever the dataset's size.
        """
        return self._native.write(os.fspath(dir), readings_format, layout, batch_size)

    def __repr__(self) -> str:
        c = self.config
        return (
            f"<ghostload Dataset: {c['num_transformers']} transformers, {c['num_meters']} meters, "
            f"{c['num_months']} months, {c.get('resolution', 'monthly')}, seed {c['seed']}>"
        )


def _layers(config: ConfigLike, overrides: Mapping[str, Any]) -> Tuple[Optional[str], list]:
    """The TOML path and the JSON layers of a config argument and keyword overrides."""
    path = None
    layers = []
    if config is None:
        pass
    elif isinstance(config, (str, os.PathLike)):
        path = os.fspath(config)
    elif isinstance(config, Mapping):
        layers.append(json.dumps(dict(config)))
    else:
        raise TypeError(
            f"config must be None, a dict or the path of a TOML file, not {type(config).__name__}"
        )
    if overrides:
        layers.append(json.dumps(dict(overrides)))
    return path, layers


def resolve_config(config: ConfigLike = None, *, preset: Optional[str] = None, **overrides: Any) -> dict:
    """The effective configuration, as the CLI builds it: the ``preset``
    (``demo``, ``default``, ``production``, ``utility``), then ``config`` (a
    dict or a TOML file path), then ``overrides``, key by key (the anomaly
    and benign mixes are replaced whole); validated.

    Raises :class:`ConfigError` naming the field, the value and what is allowed.
    """
    path, layers = _layers(config, overrides)
    return json.loads(_native.resolve_config(preset, path, layers))


def _injectors(items: Iterable[Any]) -> list:
    out = []
    for item in items:
        if isinstance(item, tuple):
            obj, weight = item
        else:
            obj, weight = item, 1.0
        out.append((obj, float(weight)))
    return out


def generate(
    config: ConfigLike = None,
    *,
    preset: Optional[str] = None,
    threads: int = 0,
    batch_size: int = 16_384,
    injectors: Sequence[Any] = (),
    benign: Sequence[Any] = (),
    builtin_anomalies: bool = True,
    builtin_benign: bool = True,
    tables: Optional[Sequence[str]] = None,
    **overrides: Any,
) -> Dataset:
    """Generates a dataset in memory.

    ``config`` is a dict or the path of a TOML file (the CLI's schema);
    keyword ``overrides`` go on top (``num_meters=10_000, seed=7,
    balance={"enabled": False}``). ``threads`` = 0 uses every core; the
    values do not depend on it, nor on ``batch_size`` (meters generated
    at a time: the memory in flight beside the tables). ``injectors`` (and ``benign``) are Python
    objects with ``inject(series, ctx) -> Injection``, or ``(object,
    weight)`` pairs; they join the configured mix (see the package README).

    The GIL is released while generating; Ctrl-C stops the run between
    batches with ``KeyboardInterrupt``.
    """
    path, layers = _layers(config, overrides)
    config_json = _native.resolve_config(preset, path, layers)
    native = _native.generate(
        config_json,
        threads,
        batch_size,
        _injectors(injectors),
        _injectors(benign),
        builtin_anomalies,
        builtin_benign,
        None if tables is None else [str(t) for t in tables],
    )
    return Dataset(native)


def iter_batches(
    config: ConfigLike = None,
    *,
    shard: Tuple[int, int] = (1, 1),
    table: str = "consumption",
    batch_size: int = 65_536,
    preset: Optional[str] = None,
    threads: int = 0,
    injectors: Sequence[Any] = (),
    benign: Sequence[Any] = (),
    builtin_anomalies: bool = True,
    builtin_benign: bool = True,
    **overrides: Any,
) -> Iterator["Batch"]:
    """Yields ``table`` for the meters of ``shard`` in record batches of
    ``batch_size`` meters, generated one at a time (bounded memory).

    ``shard=(k, n)`` is the ``k``-th of ``n`` (1-based, as the CLI's
    ``--shard K/N``): the shards' batches, concatenated in order, are the
    whole table. Each is a :class:`Batch`:
    ``pyarrow.record_batch(b)`` or ``pyarrow.table(b)`` take it without a copy.
    Tables with rows per meter only: ``meters``, ``consumption``,
    ``consumption_long``, ``readings``, ``labels``, ``events``.
    """
    try:
        index, count = shard
    except (TypeError, ValueError):
        raise TypeError(f"shard must be a (k, n) pair, not {shard!r}") from None
    path, layers = _layers(config, overrides)
    config_json = _native.resolve_config(preset, path, layers)
    native = _native.iter_batches(
        config_json,
        table,
        int(index),
        int(count),
        batch_size,
        threads,
        _injectors(injectors),
        _injectors(benign),
        builtin_anomalies,
        builtin_benign,
    )
    for batch in native:
        yield Batch(batch)
