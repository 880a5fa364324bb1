#!/usr/bin/env bash
# GPU check for a machine with a GPU, Python, torch, CuPy, Cython and numpy preinstalled and no
# package registry: install pygrad in place, run the CUDA tests, the GPU kernel bench (median of
# 50 after warm-up, the target shapes) and the MLP train step, and end with a short table.
# Run from anywhere; each step has a time cap, all of them together under 4 minutes.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT=${OUT:-/tmp/pygrad_gpu_check}
mkdir -p "$OUT"

echo "== install"
$PY -m pip install --no-build-isolation --no-deps -e . >"$OUT/install.log" 2>&1 \
    || { echo "install failed:"; tail -20 "$OUT/install.log"; }
$PY -c "import pygrad as pg, cupy; print('pygrad', pg.__file__); print('cupy', cupy.__version__, \
'devices', pg.cuda.device_count(), pg.cuda.get_device_name() if pg.cuda.is_available() else '')"

echo "== CUDA tests"
timeout 110 $PY -m pytest -q --maxfail=30 -k "cuda" tests 2>&1 | tee "$OUT/tests.log" | tail -25
tests_rc=${PIPESTATUS[0]}

echo "== GPU bench"
timeout 80 $PY -c "
import json, sys
sys.path.insert(0, '.')
try:
    from pygrad.bench import gpu
except ImportError:
    from bench import gpu
rows = gpu.run(quick=False)
json.dump(rows, open('$OUT/gpu_bench.json', 'w'), indent=1)
print(rows[0]['device']); print(gpu.format_table(rows))
" 2>&1 | tee "$OUT/bench.log" | tail -20
bench_rc=${PIPESTATUS[0]}

echo "== MLP train step (784-512-512-10, sigmoid + Adam)"
timeout 40 $PY -m pygrad.bench.cli --device cuda --suite mlp --repeat 5 --out "$OUT" 2>&1 \
    | tee "$OUT/mlp.log" | tail -8
mlp_rc=${PIPESTATUS[0]}

echo "== summary"
printf '%-8s %s\n' tests "rc=$tests_rc ($(grep -Eo '[0-9]+ (passed|failed|skipped|error)' "$OUT/tests.log" | tr '\n' ' '))"
printf '%-8s %s\n' bench "rc=$bench_rc (rows in $OUT/gpu_bench.json)"
printf '%-8s %s\n' mlp "rc=$mlp_rc (rows in $OUT/bench-cuda.json)"
exit $(( tests_rc != 0 || bench_rc != 0 || mlp_rc != 0 ))
