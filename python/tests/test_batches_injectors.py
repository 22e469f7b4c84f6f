"""`iter_batches` (shards concatenate to the whole), Python injectors in the
mix, and Ctrl-C stopping a long run."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pyarrow as pa
import pytest

import ghostload

CONFIG = dict(num_meters=1_000, num_transformers=25, num_months=12, seed=3)


@pytest.mark.parametrize("table", ["meters", "consumption", "consumption_long", "labels", "events"])
def test_shards_concatenate_to_the_whole(table: str) -> None:
    whole = pa.table(ghostload.generate(**CONFIG).table(table))
    for shards, batch_size in [(1, 1_000), (3, 128), (7, 50)]:
        batches = [
            pa.record_batch(b)
            for k in range(1, shards + 1)
            for b in ghostload.iter_batches(CONFIG, shard=(k, shards), table=table, batch_size=batch_size)
        ]
        assert all(b.num_rows <= batch_size * (12 if table == "consumption_long" else 1) for b in batches)
        joined = pa.Table.from_batches(batches).combine_chunks()
        expected = whole.combine_chunks()
        # Dictionaries differ per batch in the long table: compare decoded values.
        if table == "consumption_long":
            joined = joined.set_column(0, "meter_id", joined.column(0).cast(pa.string()))
            expected = expected.set_column(0, "meter_id", expected.column(0).cast(pa.string()))
        assert joined.equals(expected), (table, shards, batch_size)


def test_iter_batches_readings_and_bad_arguments() -> None:
    hourly = dict(num_meters=40, num_transformers=4, num_months=1, resolution="hourly")
    rows = sum(pa.record_batch(b).num_rows for b in ghostload.iter_batches(hourly, table="readings", batch_size=16))
    assert rows == 40 * 31 * 24
    with pytest.raises(ghostload.ConfigError) as e:
        next(ghostload.iter_batches(CONFIG, shard=(0, 4)))
    assert e.value.field == "shard"
    with pytest.raises(ValueError, match="rows per meter"):
        next(ghostload.iter_batches(CONFIG, table="energy_balance"))
    with pytest.raises(ValueError, match="monthly dataset has no interval readings"):
        next(ghostload.iter_batches(CONFIG, table="readings"))


class HalvesFromOnset:
    """Theft: the register records half of what is drawn from the onset on."""

    def inject(self, series: np.ndarray, ctx: ghostload.InjectionContext) -> ghostload.Injection:
        series[ctx.onset:] *= 0.5
        return ghostload.Injection("half_register", ctx.onset, None, True)


class NoisyWindow:
    """A fault over a random window, drawn from the context's seed."""

    def inject(self, series, ctx):
        rng = np.random.default_rng(ctx.seed)
        end = int(rng.integers(ctx.onset, ctx.periods))
        series[ctx.onset:end + 1] *= rng.uniform(1.2, 1.5)
        return ghostload.Injection("noisy_window", ctx.onset, end, False)


def test_python_injectors_join_the_mix() -> None:
    config = dict(CONFIG, anomaly_rate=0.2)
    plain = ghostload.generate(config, builtin_anomalies=False, injectors=[HalvesFromOnset()])
    labels = plain.labels.to_pandas()
    assert len(labels) == 200 and set(labels.anomaly_type) == {"half_register"}
    assert labels.is_theft.all()
    # The same run again gives the same table.
    again = ghostload.generate(config, builtin_anomalies=False, injectors=[HalvesFromOnset()], tables=["consumption"])
    assert pa.table(again.consumption).equals(pa.table(plain.consumption))
    mixed = ghostload.generate(config, injectors=[(HalvesFromOnset(), 0.5), (NoisyWindow(), 0.5)])
    types = set(mixed.labels.to_pandas().anomaly_type)
    assert {"half_register", "noisy_window"} <= types and len(types) > 2
    # Deterministic: same config, same injectors, any thread count.
    again = ghostload.generate(config, threads=1, injectors=[(HalvesFromOnset(), 0.5), (NoisyWindow(), 0.5)])
    assert pa.table(again.consumption).equals(pa.table(mixed.consumption))
    assert pa.table(again.labels).equals(pa.table(mixed.labels))


def test_python_injector_changes_exactly_what_it_says() -> None:
    config = dict(CONFIG, anomaly_rate=0.1, balance={"enabled": False})
    base = ghostload.generate(config, builtin_anomalies=False, injectors=[HalvesFromOnset()], tables=["consumption", "labels"])
    wide = base.consumption.to_pandas().set_index("meter_id")
    months = [c for c in wide.columns if c.startswith("monthly_consumption_")]
    labels = base.labels.to_pandas()
    onset_col = {int(c[-6:]): i for i, c in enumerate(months)}
    assert len(labels) == 100
    for _, label in labels.iterrows():
        row = wide.loc[label.meter_id, months].to_numpy()
        k = onset_col[int(label.onset)]
        # Halved from the onset: what was drawn after it is twice what was billed,
        # so the unbilled share is known from the billed row alone.
        before, after = row[:k].sum(), row[k:].sum()
        expected = 1 - (before + after) / (before + 2 * after)
        assert abs(label.severity - expected) < 2e-3, (label.meter_id, label.severity, expected)


class Broken:
    def inject(self, series, ctx):
        return "not an injection"


def test_a_failing_python_injector_is_reported() -> None:
    with pytest.raises(ghostload.GenerationError, match="Broken.*must return ghostload.Injection"):
        ghostload.generate(CONFIG, builtin_anomalies=False, injectors=[Broken()])
    with pytest.raises(TypeError, match="inject"):
        ghostload.generate(CONFIG, injectors=[object()])


def test_ctrl_c_ends_a_long_run() -> None:
    script = textwrap.dedent(
        """
        import sys, ghostload
        print("started", flush=True)
        try:
            ghostload.generate(num_meters=20_000_000, num_transformers=400_000, num_months=120, batch_size=20_000, tables=["labels"])
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(3)
        print("finished", flush=True)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "started"
    time.sleep(1.5)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 3, out
    assert "interrupted" in out
    assert time.monotonic() - sent < 10
