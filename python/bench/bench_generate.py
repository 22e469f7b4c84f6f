"""Issue 15's targets for `ghostload.generate`, measured in fresh processes.

    python python/bench/bench_generate.py [--runs 5] [--meters 1000000]

For each variant, `--runs` fresh interpreters each import ghostload and
polars, then time `ghostload.generate(...)` of meters x 24 months (25
transformers per 1 000 meters) into `polars.DataFrame(ds.consumption)` for
three variants (every table, the default; the tables the baseline builds,
without the energy balance; the consumption table alone), and
report the peak RSS growth over the interpreter after its imports, against
the consumption matrix (meters x months x 8 bytes) and the wide table's
Arrow bytes. The NumPy baseline's in-memory generation
(`../shared/reference/numpy_reference.py --no-write`, its `generate_s`) runs
in the same session when that file exists; otherwise it is skipped.
Prints one JSON line per variant and a summary table (medians).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

CHILD = r"""
import json, os, resource, sys, time
import ghostload, polars as pl
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
base = rss()
meters, tables, extra = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
t0 = time.perf_counter()
ds = ghostload.generate(num_meters=meters, num_transformers=meters // 40, num_months=24, tables=tables, **extra)
df = pl.DataFrame(ds.consumption)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "growth": peak - base, "table": ds.consumption.nbytes,
                  "all_tables": sum(ds.table(n).nbytes for n in ds.table_names if n != "consumption_long"),
                  "rows": df.height, "columns": df.width}))
"""

REFERENCE = pathlib.Path(__file__).resolve().parents[3] / "shared" / "reference" / "numpy_reference.py"


def child(meters: int, variant) -> dict:
    tables, extra = variant
    out = subprocess.run([sys.executable, "-c", CHILD, str(meters), json.dumps(tables), json.dumps(extra)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def numpy_baseline(meters: int) -> float:
    run = subprocess.run([sys.executable, str(REFERENCE), "--meters", str(meters), "--transformers",
                          str(meters // 40), "--months", "24", "--no-write"],
                         capture_output=True, text=True, check=True)
    line = [l for l in run.stderr.splitlines() if l.startswith("{")][-1]
    return float(json.loads(line)["generate_s"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--meters", type=int, default=1_000_000)
    args = p.parse_args()
    matrix = args.meters * 24 * 8
    variants = {
        "all tables (default)": (None, {}),
        # What the baseline builds: transformers, meters with their consumption, labels; no energy balance.
        "the baseline's tables": (["transformers", "meters", "consumption", "labels"], {"balance": {"enabled": False}}),
        'tables=["consumption"]': (["consumption"], {}),
    }
    results = {name: [] for name in variants}
    baseline = []
    for _ in range(args.runs):
        # Interleaved, so that drift of this noisy VM hits every variant alike.
        for name, variant in variants.items():
            results[name].append(child(args.meters, variant))
        if REFERENCE.exists():
            baseline.append(numpy_baseline(args.meters))
    np_median = statistics.median(baseline) if baseline else None
    print(f"{args.meters} meters x 24 months; matrix {matrix / 2**20:.0f} MiB; runs {args.runs}")
    if np_median is None:
        print("NumPy baseline: skipped (no ../shared/reference/numpy_reference.py)")
    else:
        print(f"NumPy baseline generate_s: median {np_median:.2f} s (all: {', '.join(f'{b:.2f}' for b in baseline)})")
    for name, runs in results.items():
        s = statistics.median(r["seconds"] for r in runs)
        g = statistics.median(r["growth"] for r in runs)
        t = runs[0]["table"]
        a = runs[0]["all_tables"]
        line = {
            "variant": name, "median_s": round(s, 3), "all_s": [round(r["seconds"], 3) for r in runs],
            "peak_growth_mib": round(g / 2**20, 1), "growth_over_matrix": round(g / matrix, 2),
            "growth_over_wide_table": round(g / t, 2), "wide_table_mib": round(t / 2**20, 1),
            "all_tables_mib": round(a / 2**20, 1), "growth_over_all_tables": round(g / a, 2),
        }
        if np_median:
            line["speedup_vs_numpy"] = round(np_median / s, 1)
        print(json.dumps(line))


if __name__ == "__main__":
    main()
