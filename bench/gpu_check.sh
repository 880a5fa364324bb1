#!/usr/bin/env bash
# GPU check for a machine with a GPU, Python, torch, CuPy, Cython and NumPy preinstalled and no
# package registry. Run from anywhere: bash bench/gpu_check.sh. Steps, each with its own time cap
# and all of them within BUDGET seconds (default 510, to fit a 9-minute slot):
#   gpu      CuPy sees a GPU, torch imports           else stop, exit 2, nothing installed
#   install  pip install -e . (no isolation, no deps) else stop, exit 3, nothing benchmarked
#   import   the installed pygrad is this checkout    else stop, exit 3
#   compile  NVRTC builds every kernel source once, the sources side by side, into CuPy's
#            on-disk kernel cache (cold: ~12 s each for softmax.cu and cross_entropy.cu), so
#            the timed steps below load binaries instead of compiling inside their caps
#   tests    the CUDA tests (pytest -k cuda)
#   bench    the GPU kernel bench (median of 50 after warm-up, the target shapes)
#   mlp      the MLP train step on cuda
# then a summary. Exit 0 when every step passed, 1 when a step after the import failed.
# Logs and JSON go to $OUT (default /tmp/pygrad_gpu_check); $PYTHON picks the interpreter.
set -u -o pipefail
PY=${PYTHON:-python3}
[[ $PY == */* ]] && PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"   # keeps venv links
cd "$(dirname "$0")/.." || exit 2
REPO=$(pwd -P)
OUT=${OUT:-/tmp/pygrad_gpu_check}
BUDGET=${BUDGET:-510}
mkdir -p "$OUT" || exit 2
START=$SECONDS
declare -A RC SECS
ORDER=()

# step NAME CAP CMD...: run CMD under `timeout`, capped at CAP seconds and at what is left of the
# budget; its output goes to $OUT/NAME.log, and to the terminal too unless SHOW=log. Sets
# RC[NAME] and SECS[NAME]. CMD is a program, not a shell function (timeout runs it).
SHOW=all
step() {
    local name=$1 cap=$2
    shift 2
    local left=$(( BUDGET - (SECONDS - START) - 10 ))    # 10 s kept for the summary
    (( cap > left )) && cap=$left
    ORDER+=("$name")
    if (( cap < 15 )); then
        echo "== $name: skipped, the ${BUDGET} s budget is spent"
        RC[$name]=125; SECS[$name]=0
        return 125
    fi
    echo "== $name (cap ${cap} s)"
    local t0=$SECONDS rc
    if [[ $SHOW == log ]]; then
        timeout -k 5 "$cap" "$@" >"$OUT/$name.log" 2>&1
        rc=$?
    else
        timeout -k 5 "$cap" "$@" 2>&1 | tee "$OUT/$name.log"
        rc=${PIPESTATUS[0]}
    fi
    RC[$name]=$rc; SECS[$name]=$(( SECONDS - t0 ))
    (( rc == 124 || rc == 137 )) && echo "!! $name: timed out after ${cap} s (log: $OUT/$name.log)"
    return "$rc"
}

stop() {  # stop CODE MESSAGE: end before the benchmarks, saying why
    echo "!! $2"
    echo "!! stopped after $(( SECONDS - START )) s; no tests or benchmarks were run (logs: $OUT)"
    exit "$1"
}

step gpu 60 "$PY" - <<'EOF'
import sys
print("python", sys.version.split()[0], sys.executable)
try:
    import cupy
except Exception as e:
    sys.exit(f"CuPy cannot be imported ({type(e).__name__}: {e}); this check needs CuPy and a GPU")
try:
    n = cupy.cuda.runtime.getDeviceCount()
except Exception as e:
    sys.exit(f"no CUDA device can be reached through CuPy: {e}")
if n == 0:
    sys.exit("no CUDA device is visible (CUDA_VISIBLE_DEVICES?)")
p = cupy.cuda.runtime.getDeviceProperties(0)
name = p["name"].decode() if isinstance(p["name"], bytes) else p["name"]
print(f"cupy {cupy.__version__}, CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}, "
      f"{n} GPU(s); cuda:0 = {name} (sm_{p['major']}{p['minor']})")
try:
    import torch
except Exception as e:
    sys.exit(f"torch cannot be imported ({e}); the tests and benchmarks compare against it")
print("torch", torch.__version__, "cuda available:", torch.cuda.is_available())
for mod in ("numpy", "Cython", "setuptools"):
    try:
        print(mod, __import__(mod).__version__)
    except Exception as e:
        sys.exit(f"{mod} cannot be imported ({e}); the install needs it")
EOF
(( $? == 0 )) || stop 2 "no usable GPU here (see above): this script is for a machine with a GPU"

SHOW=log step install 200 "$PY" -m pip install --no-build-isolation --no-deps -e .
rc=${RC[install]}
if (( rc != 0 )); then
    tail -25 "$OUT/install.log"
    stop 3 "pip install -e . failed (rc=$rc); not running anything against a half-installed package"
fi
tail -1 "$OUT/install.log"

# from another folder, so that the installed package is imported, not the checkout's files
step import 60 bash -c "cd / && \"\$0\" - \"\$1\"" "$PY" "$REPO" <<'EOF'
import pathlib, sys
repo = pathlib.Path(sys.argv[1])
import pygrad
from pygrad.backend import cuda as cb, cpu
import pygrad.bench.gpu, pygrad.bench.cli
where = pathlib.Path(pygrad.__file__).resolve()
if repo not in where.parents:
    sys.exit(f"import pygrad gives {where}, not this checkout {repo}")
src = pathlib.Path(str(cb.source_dir()))
missing = [f for f in cb.SOURCES if not (src / f).is_file()]
if missing:
    sys.exit(f"CUDA sources missing from {src}: {missing}")
print("pygrad", where.parent, "| CUDA sources", src, "| cpu kernels:", cpu.variant())
if cpu.variant() == "reference":
    print("warning: the CPU kernel extension did not build (see install.log): CPU ops run the "
          "NumPy reference code; the GPU steps below do not use it")
if not pygrad.cuda.is_available():
    sys.exit("pygrad.cuda.is_available() is False although CuPy sees a GPU")
print("pygrad sees", pygrad.cuda.device_count(), "GPU(s):", pygrad.cuda.get_device_name(0))
EOF
(( ${RC[import]} == 0 )) || stop 3 "the installed pygrad is not usable (see above)"

# one process per source, side by side; CuPy's disk cache then serves every later process
compile_all() {
    local pids=() rc=0 f sources
    # every source the backend lists (a hard-coded list missed layer_norm.cu, which then
    # compiled cold inside the cache check below and made it report a slow cache)
    sources=$("$PY" -c "from pygrad.backend import cuda as cb; print(' '.join(cb.SOURCES))") || return 1
    for f in $sources; do
        "$PY" -c "import sys; from pygrad.backend import cuda as cb
s = cb.compile_all([sys.argv[1]])[sys.argv[1]]
print(f'{sys.argv[1]:18s} {len(cb.kernel_names(sys.argv[1])):4d} kernels  {s:6.1f} s')" "$f" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    (( rc == 0 )) || return 1
    "$PY" -c "import time; t = time.perf_counter(); from pygrad.backend import cuda as cb; cb.compile_all()
s = time.perf_counter() - t
print(f'all sources again, in a new process: {s:.1f} s', '(from the kernel cache)' if s < 10 else
      '- slow: CuPy is not keeping compiled kernels (CUPY_CACHE_DIR not writable?), so the timed steps compile again')"
}
export PY
export -f compile_all
step compile 150 bash -c compile_all

SHOW=log step tests 180 "$PY" -m pytest -q -p no:cacheprovider --maxfail=30 -k cuda tests
[[ -f $OUT/tests.log ]] && tail -25 "$OUT/tests.log"

step bench 120 "$PY" - "$OUT" <<'EOF'
import json, sys
from pygrad.bench import gpu
rows = gpu.run(quick=False)
with open(f"{sys.argv[1]}/gpu_bench.json", "w") as f:
    json.dump(rows, f, indent=1)
print(rows[0]["device"])
print(gpu.format_table(rows))
EOF

SHOW=log step mlp 90 "$PY" -m pygrad.bench.cli --device cuda --suite mlp --repeat 5 --out "$OUT"
[[ -f $OUT/mlp.log ]] && tail -8 "$OUT/mlp.log"

echo "== summary ($(( SECONDS - START )) s)"
detail() {  # detail NAME RC
    case $1 in
        tests) [[ -f $OUT/tests.log ]] && grep -Eo '[0-9]+ (passed|failed|skipped|errors?|deselected)' \
                   "$OUT/tests.log" | tr '\n' ' ' ;;
        bench) (( $2 == 0 )) && echo "rows in $OUT/gpu_bench.json" ;;
        mlp) (( $2 == 0 )) && echo "rows in $OUT/bench-cuda.json" ;;
    esac
}
fail=0
for name in "${ORDER[@]}"; do
    rc=${RC[$name]}
    state=ok
    (( rc != 0 )) && { state=FAILED; fail=1; }
    (( rc == 124 || rc == 137 )) && state=TIMEOUT
    (( rc == 125 )) && state=SKIPPED
    printf '%-8s %-7s rc=%-3s %4s s  %s\n' "$name" "$state" "$rc" "${SECS[$name]}" "$(detail "$name" "$rc")"
done
exit "$fail"
