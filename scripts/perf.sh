#!/usr/bin/env bash
# Reproduces the figures of docs/performance.md on this machine: ghostload and
# the NumPy/pandas reference baseline, measured in the same run.
#
#   bash scripts/perf.sh [REFERENCE_DIR]
#
# Needs: cargo, hyperfine, GNU time (/usr/bin/time), python3. The baseline is
# skipped when REFERENCE_DIR/numpy_reference.py is absent (default: ../shared/reference).
# Writes about 3 GB into a temporary directory, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ref_dir=${1:-../shared/reference}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo build --release --features cli --example scale >/dev/null 2>&1
gl=target/release/ghostload

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
wall() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1; }

python=""
if [ -f "$ref_dir/numpy_reference.py" ]; then
  python="$tmp/venv/bin/python"
  python3 -m venv "$tmp/venv" && "$tmp/venv/bin/pip" install --quiet numpy pandas || python=""
fi
# Older OpenBLAS builds need these on some processors; they slow a current numpy.
baseline=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" "$ref_dir/numpy_reference.py")

echo "== 2 000 x 12 (default), whole process, every file (hyperfine, 30 runs)"
hyperfine -N -w 3 -r 30 --prepare "rm -rf $tmp/d" --export-json "$tmp/d.json" "$gl generate -q --output-dir $tmp/d" >/dev/null
python3 -c "import json,sys; r=json.load(open('$tmp/d.json'))['results'][0]; print('ghostload median %.1f ms' % (r['median']*1000))"
if [ -n "$python" ]; then
  hyperfine -N -w 1 -r 5 --prepare "rm -rf $tmp/p" --export-json "$tmp/p.json" \
    "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $python $ref_dir/numpy_reference.py --meters 2000 --transformers 50 --months 12 --out $tmp/p" >/dev/null
  python3 -c "import json; r=json.load(open('$tmp/p.json'))['results'][0]; print('baseline  median %.1f ms' % (r['median']*1000))"
fi

# Each long run starts after a `sync`, so that it does not pay for writing
# back the previous run's files.
echo "== 1 000 000 x 24, whole process, every file (5 runs; baseline 3 runs)"
for i in 1 2 3 4 5; do rm -rf "$tmp/m"; sync; wall $gl generate -q --num-meters 1000000 --num-transformers 25000 --num-months 24 --output-dir "$tmp/m"; done > "$tmp/m.txt"
echo "ghostload median $(cut -d' ' -f1 "$tmp/m.txt" | median) s, peak RSS $(cut -d' ' -f2 "$tmp/m.txt" | sort -n | tail -n 1) KB, output $(du -sm "$tmp/m" | cut -f1) MB"
if [ -n "$python" ]; then
  for i in 1 2 3; do rm -rf "$tmp/pm"; sync; wall "${baseline[@]}" --meters 1000000 --transformers 25000 --months 24 --out "$tmp/pm"; done > "$tmp/pm.txt"
  echo "baseline  median $(cut -d' ' -f1 "$tmp/pm.txt" | median) s, peak RSS $(cut -d' ' -f2 "$tmp/pm.txt" | sort -n | tail -n 1) KB"
  rm -rf "$tmp/pm"
fi
rm -rf "$tmp/m"

echo "== 1 000 000 x 24, in-memory generation only (2 threads; 11 runs)"
for i in $(seq 11); do target/release/examples/scale 1000000 25000 24 2>&1 | sed -E 's/.* in ([0-9.]+) s/\1/'; done > "$tmp/g.txt"
echo "ghostload median $(median < "$tmp/g.txt") s (generate() incl. validation)"
if [ -n "$python" ]; then
  for i in 1 2 3; do "${baseline[@]}" --meters 1000000 --transformers 25000 --months 24 --no-write 2>&1 | python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['generate_s'])"; done > "$tmp/pg.txt"
  echo "baseline  median $(median < "$tmp/pg.txt") s (generate_s)"
fi

echo "== 10 000 000 x 24, streamed to disk (3 runs)"
for i in 1 2 3; do rm -rf "$tmp/t"; sync; wall $gl generate -q --num-meters 10000000 --num-transformers 250000 --num-months 24 --output-dir "$tmp/t"; done > "$tmp/t.txt"
echo "ghostload median $(cut -d' ' -f1 "$tmp/t.txt" | median) s, peak RSS $(cut -d' ' -f2 "$tmp/t.txt" | sort -n | tail -n 1) KB, output $(du -sm "$tmp/t" | cut -f1) MB"
