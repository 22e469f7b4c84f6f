#!/usr/bin/env bash
# Reproduces the interval-data figures of docs/performance.md on this machine:
# ghostload and the NumPy + pyarrow hourly baseline, measured in the same run.
#
#   bash scripts/perf_interval.sh [REFERENCE_DIR] [RUNS]
#
# Needs: cargo, GNU time (/usr/bin/time), python3 (for the baseline, skipped
# when REFERENCE_DIR/numpy_hourly_reference.py is absent; default
# ../shared/reference). Writes up to ~18 GB into a temporary directory under
# $TMPDIR (default /tmp), removed at the end. RUNS (default 3) runs per figure.
set -euo pipefail
cd "$(dirname "$0")/.."
ref_dir=${1:-../shared/reference}
runs=${2:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo build --release --features cli >/dev/null 2>&1
gl=target/release/ghostload

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# "seconds peak-RSS-KB" of a command, its output discarded; each run starts
# after a `sync` so that it does not pay for the previous run's writeback.
wall() { sync; /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1; }
report() { # label file
  echo "$1: median $(cut -d' ' -f1 "$2" | median) s (runs: $(cut -d' ' -f1 "$2" | tr '\n' ' ')), peak RSS $(cut -d' ' -f2 "$2" | sort -n | tail -n 1) KB"
}

python=""
if [ -f "$ref_dir/numpy_hourly_reference.py" ]; then
  python="$tmp/venv/bin/python"
  { python3 -m venv "$tmp/venv" && "$tmp/venv/bin/pip" install --quiet numpy pyarrow; } >/dev/null 2>&1 || python=""
fi

hourly=(generate -q --resolution hourly --start-month 2024-01 --num-months 12)

echo "== 100 000 meters x one year hourly (878.4 M readings) to Parquet, whole CLI run"
for i in $(seq "$runs"); do rm -rf "$tmp/p100"; wall $gl "${hourly[@]}" --num-meters 100000 --num-transformers 2500 --output-dir "$tmp/p100"; done > "$tmp/p100.txt"
report "ghostload" "$tmp/p100.txt"
echo "output: $(du -sm "$tmp/p100/meter_readings" | cut -f1) MB of Parquet"
rm -rf "$tmp/p100"

echo "== 20 000 meters x one year hourly (175.7 M readings) to Parquet: ghostload vs the NumPy baseline"
for i in $(seq "$runs"); do rm -rf "$tmp/p20"; wall $gl "${hourly[@]}" --num-meters 20000 --num-transformers 500 --output-dir "$tmp/p20"; done > "$tmp/p20.txt"
report "ghostload" "$tmp/p20.txt"
rm -rf "$tmp/p20"
if [ -n "$python" ]; then
  for i in $(seq "$runs"); do wall "$python" "$ref_dir/numpy_hourly_reference.py" --meters 20000 --out "$tmp/np.parquet"; rm -f "$tmp/np.parquet"; done > "$tmp/np20.txt"
  report "baseline " "$tmp/np20.txt"
  echo "ratio: $(awk -v a="$(cut -d' ' -f1 "$tmp/np20.txt" | median)" -v b="$(cut -d' ' -f1 "$tmp/p20.txt" | median)" 'BEGIN {printf "%.1f", a / b}') x"
else
  echo "baseline skipped: $ref_dir/numpy_hourly_reference.py absent or pip failed"
fi

echo "== 50 000 meters x one year hourly (439.2 M readings) to CSV (18 GB; 100 000 needs 36 GB of disk)"
for i in $(seq "$runs"); do rm -rf "$tmp/c50"; wall $gl "${hourly[@]}" --readings-format csv --num-meters 50000 --num-transformers 1250 --output-dir "$tmp/c50"; done > "$tmp/c50.txt"
report "ghostload" "$tmp/c50.txt"
rm -rf "$tmp/c50"

echo "== 10 000 meters x one year at 15 minutes (351.4 M readings) to Parquet: bounded memory"
for i in $(seq "$runs"); do rm -rf "$tmp/q10"; wall $gl generate -q --resolution 15min --num-months 12 --num-meters 10000 --num-transformers 250 --output-dir "$tmp/q10"; done > "$tmp/q10.txt"
report "ghostload" "$tmp/q10.txt"
rm -rf "$tmp/q10"

echo "== default monthly dataset (2 000 x 12), whole CLI run (21 runs, milliseconds)"
for i in $(seq 21); do
  rm -rf "$tmp/d"; t0=$EPOCHREALTIME; $gl generate -q --output-dir "$tmp/d"; t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f\n", (b - a) * 1000}'
done > "$tmp/d.txt"
echo "ghostload: median $(median < "$tmp/d.txt") ms"

echo "== readings only, as the baseline does (no monthly files, labels, report or validation): 20 000 x one year hourly to one Parquet file"
cargo build --release --example interval_probe --features parquet >/dev/null 2>&1
for i in $(seq "$runs"); do rm -f "$tmp/r.parquet"; wall target/release/examples/interval_probe 20000 hourly "$tmp/r.parquet"; done > "$tmp/r20.txt"
report "ghostload" "$tmp/r20.txt"
