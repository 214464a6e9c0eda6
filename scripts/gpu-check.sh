#!/usr/bin/env bash
# The GPU check, one command on a CUDA machine: builds the addon against the libtorch inside
# that machine's Python torch, runs the CUDA and mixed-precision tests (the model losses
# compared with that same PyTorch on CUDA), runs the GPU benchmark cases when bench/run.ts
# has them, and writes every log and JSON result to $OUT.
#
#   bash scripts/gpu-check.sh [--stages env,build,test,bench] [--dry-run] [--allow-no-cuda]
#
# What it needs there: CMake, a C++ compiler, nvcc, and the Python torch at $PYTHON (default
# /opt/torch/.venv/bin/python, else python3). Node.js may be missing: then it unpacks the
# Node binary and node_modules that scripts/pack-for-gpu.sh wrote (build/gpu-pack, or
# $TORCH_NODE_GPU_PACK). From the device tool, after packing here:
#   run(command: "bash scripts/gpu-check.sh", carry: ["build/gpu-pack"], timeout_s: 600)
#
# Environment:
#   OUT                  where logs and results go (default: build/gpu-check-out)
#   PYTHON               the Python whose torch is the libtorch to build against
#   GPU_CHECK_LIBTORCH   'pytorch' (default: LIBTORCH_USE_PYTORCH=1) or 'system' (a rehearsal on a CPU machine)
#   GPU_CHECK_BUDGET_S   seconds the whole run may take (default 570, under the device tool's 600)
#   BENCH_ARGS           extra arguments for bench/run.ts (default: --device cuda --reps 3 --seconds 1)
#   GPU_CHECK_JOBS       parallel compile jobs (default: all cores)
#   GPU_CHECK_PACKED_NODE=1  use the packed Node even when one is installed (rehearsal)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STARTED=$SECONDS

stages="env,build,test,bench"
dry_run=0
allow_no_cuda=0
while [ $# -gt 0 ]; do
  case "$1" in
    --stages) stages="$2"; shift 2 ;;
    --stages=*) stages="${1#*=}"; shift ;;
    --dry-run) dry_run=1; shift ;;
    --allow-no-cuda) allow_no_cuda=1; shift ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
want() { [[ ",$stages," == *",$1,"* ]]; }

OUT="${OUT:-$ROOT/build/gpu-check-out}"
mkdir -p "$OUT"
LOG="$OUT/gpu-check.log"
: >"$LOG"
exec > >(tee -a "$LOG") 2>&1

BUDGET="${GPU_CHECK_BUDGET_S:-570}"
PACK="${TORCH_NODE_GPU_PACK:-$ROOT/build/gpu-pack}"
BUILD_DIR="$ROOT/build/gpu"
ADDON="$BUILD_DIR/Release/torch_node.node"
LIBTORCH_SOURCE="${GPU_CHECK_LIBTORCH:-pytorch}"
JOBS="${GPU_CHECK_JOBS:-$(nproc 2>/dev/null || echo 4)}"
BENCH_ARGS="${BENCH_ARGS:---device cuda --reps 3 --seconds 1}"

declare -A status=()
failed=0

log() { echo "== [gpu-check $(date +%H:%M:%S), ${1}s] ${*:2}"; }
step() { log "$((SECONDS - STARTED))" "$@"; }
die() {
  echo "gpu-check: ERROR: $*" >&2
  status[error]="$*"
  exit 1
}
left() {
  # Seconds of the budget left, at least 30 so that a late stage still gets a try.
  local n=$((BUDGET - (SECONDS - STARTED)))
  [ "$n" -lt 30 ] && n=30
  echo "$n"
}
run() {
  # run LABEL SECONDS CMD...: runs CMD with a time limit; its output also goes to $OUT/LABEL.log.
  local label="$1" limit="$2"
  shift 2
  if [ "$dry_run" = 1 ]; then
    echo "   (dry run) $*"
    return 0
  fi
  local rc
  set +e
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$OUT/$label.log"
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo "gpu-check: $label ran past its ${limit}s limit" >&2; fi
  return "$rc"
}

# shellcheck disable=SC2317 # called by the EXIT trap
write_summary() {
  local rc=$?
  local json="{"
  json+="\"seconds\": $((SECONDS - STARTED)), \"exit_code\": $rc, \"stages\": \"$stages\", \"dry_run\": $dry_run"
  for key in "${!status[@]}"; do
    local value="${status[$key]//\\/\\\\}"
    value="${value//\"/\\\"}"
    value="$(printf '%s' "$value" | tr '\n\r\t' '   ')"
    json+=", \"$key\": \"$value\""
  done
  json+="}"
  echo "$json" >"$OUT/summary.json"
  echo "gpu-check: summary in $OUT/summary.json: $json"
}
trap write_summary EXIT

# ---- Python and its torch -------------------------------------------------------------------
if [ -z "${PYTHON:-}" ]; then
  if [ -x /opt/torch/.venv/bin/python ]; then PYTHON=/opt/torch/.venv/bin/python; else PYTHON="$(command -v python3 || true)"; fi
fi
export PYTHON
python_torch="none"
python_cuda="False"
if [ -n "$PYTHON" ] && "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
  python_torch="$("$PYTHON" -c 'import torch; print(torch.__version__)')"
  python_cuda="$("$PYTHON" -c 'import torch; print(torch.cuda.is_available())' 2>/dev/null || echo False)"
fi
status[python]="$PYTHON"
status[python_torch]="$python_torch"
status[python_cuda_available]="$python_cuda"

# ---- env: what this machine is ------------------------------------------------------------------
if want env; then
  step "environment"
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(uname -a)"
    echo "cores: $(nproc 2>/dev/null || echo '?')"
    echo "python: $PYTHON (torch $python_torch, cuda available: $python_cuda)"
    if [ "$python_torch" != none ]; then
      "$PYTHON" -c 'import torch; print("torch cuda:", torch.version.cuda, "| cudnn:", torch.backends.cudnn.version(), "| devices:", [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())])' 2>&1 || true
    fi
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv 2>&1 || echo "nvidia-smi: not found"
    for tool in cmake ninja c++ nvcc xz; do
      if command -v "$tool" >/dev/null; then echo "$tool: $("$tool" --version 2>&1 | head -1)"; else echo "$tool: not found"; fi
    done
  } | tee "$OUT/environment.txt"
fi

# ---- Node.js: the machine's, or the packed one --------------------------------------------------
node_ok() { command -v node >/dev/null && [ "$(node -p 'Number(process.versions.node.split(".")[0]) >= 20' 2>/dev/null)" = true ]; }
# GPU_CHECK_PACKED_NODE=1 uses the packed Node even where one is installed (to rehearse the GPU run).
if [ "${GPU_CHECK_PACKED_NODE:-0}" = 1 ] || ! node_ok; then
  [ -f "$PACK/node.xz" ] || die "no Node.js >= 20 on PATH and no packed one at $PACK/node.xz: run scripts/pack-for-gpu.sh on the dev machine and carry build/gpu-pack"
  command -v xz >/dev/null || die "xz is needed to unpack $PACK/node.xz"
  mkdir -p "$ROOT/build/gpu-node/bin"
  if [ ! -x "$ROOT/build/gpu-node/bin/node" ] || [ "$PACK/node.xz" -nt "$ROOT/build/gpu-node/bin/node" ]; then
    step "unpacking Node $(cat "$PACK/node.version" 2>/dev/null || echo '?') from $PACK"
    xz -dc "$PACK/node.xz" >"$ROOT/build/gpu-node/bin/node.tmp"
    chmod +x "$ROOT/build/gpu-node/bin/node.tmp"
    mv "$ROOT/build/gpu-node/bin/node.tmp" "$ROOT/build/gpu-node/bin/node"
  fi
  export PATH="$ROOT/build/gpu-node/bin:$PATH"
  hash -r
  node_ok || die "the packed Node does not run here: $(node --version 2>&1 | head -3)"
fi
status[node]="$(node --version) ($(command -v node))"
step "node $(node --version) at $(command -v node)"

# node_modules: unpack the packed closure when the packages the check needs are missing.
if [ ! -f node_modules/vitest/package.json ] || [ ! -f node_modules/node-addon-api/package.json ] || [ ! -f node_modules/tsx/package.json ]; then
  [ -f "$PACK/node_modules.tar.xz" ] || die "node_modules lacks vitest/tsx/node-addon-api and $PACK/node_modules.tar.xz is missing (run scripts/pack-for-gpu.sh)"
  step "unpacking node_modules from $PACK"
  [ "$dry_run" = 1 ] || tar -xJf "$PACK/node_modules.tar.xz" -C "$ROOT"
fi

# ---- the libtorch to build against, and where its CUDA pieces are -------------------------------
if [ "$LIBTORCH_SOURCE" = pytorch ]; then
  [ "$python_torch" != none ] || die "$PYTHON has no torch: set PYTHON to the Python whose torch to build against"
  export LIBTORCH_USE_PYTORCH=1
else
  unset LIBTORCH_USE_PYTORCH
fi
torch_dir="$(node scripts/find-libtorch.cjs --cmake-dir)" || die "scripts/find-libtorch.cjs could not find libtorch"
torch_lib="$(node scripts/find-libtorch.cjs --libdir)"
torch_has_cuda="$(node scripts/find-libtorch.cjs --cuda)"
status[libtorch]="$torch_dir"
status[libtorch_cuda]="$torch_has_cuda"
if [ "$torch_has_cuda" != 1 ] && [ "$allow_no_cuda" != 1 ]; then
  die "the libtorch at $torch_lib has no libtorch_cuda: this torch is CPU-only (pass --allow-no-cuda for a rehearsal)"
fi

cmake_extra=()
if [ "$torch_has_cuda" = 1 ]; then
  nvcc_bin="$(command -v nvcc || true)"
  for candidate in "${CUDA_HOME:-}" /usr/local/cuda /usr/local/cuda-*; do
    [ -z "$nvcc_bin" ] && [ -n "$candidate" ] && [ -x "$candidate/bin/nvcc" ] && nvcc_bin="$candidate/bin/nvcc"
  done
  [ -n "$nvcc_bin" ] || die "nvcc not found (PATH, \$CUDA_HOME, /usr/local/cuda): libtorch's CMake config needs the CUDA toolkit"
  cuda_root="$(cd "$(dirname "$nvcc_bin")/.." && pwd)"
  cmake_extra+=("-DCMAKE_CUDA_COMPILER=$nvcc_bin" "-DCUDA_TOOLKIT_ROOT_DIR=$cuda_root" "-DCUDAToolkit_ROOT=$cuda_root")
  # No .cu file is compiled; a fixed list spares CMake's GPU architecture probe.
  export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 || echo 9.0)}"
  # A pip torch keeps cuDNN and the CUDA libraries in nvidia/* packages: point CMake and the loader there.
  nvidia_dirs="$("$PYTHON" - <<'PY' 2>/dev/null || true
import os
try:
    import nvidia
except ImportError:
    raise SystemExit
for base in nvidia.__path__:
    for name in sorted(os.listdir(base)):
        lib = os.path.join(base, name, 'lib')
        if os.path.isdir(lib):
            print(os.path.join(base, name))
PY
)"
  if [ -n "$nvidia_dirs" ]; then
    while IFS= read -r dir; do
      export LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      if [ "$(basename "$dir")" = cudnn ] && [ -f "$dir/include/cudnn.h" ]; then
        cudnn_lib="$(find "$dir/lib" -maxdepth 1 -name 'libcudnn.so*' | sort | head -1)"
        [ -n "$cudnn_lib" ] && cmake_extra+=("-DCUDNN_INCLUDE_PATH=$dir/include" "-DCUDNN_LIBRARY_PATH=$cudnn_lib")
      fi
    done <<<"$nvidia_dirs"
  fi
fi
export LD_LIBRARY_PATH="$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# ---- build --------------------------------------------------------------------------------------------
if want build; then
  step "configuring against $torch_dir (CUDA: $torch_has_cuda)"
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  node_api_inc="$ROOT/node_modules/node-api-headers/include;$ROOT/node_modules/node-addon-api"
  configure=(cmake -S "$ROOT" -B "$BUILD_DIR" "${generator[@]}" --no-warn-unused-cli
    -DCMAKE_BUILD_TYPE=Release "-DTorch_DIR=$torch_dir"
    "-DCMAKE_JS_INC=$node_api_inc" -DCMAKE_JS_SRC= -DCMAKE_JS_LIB=
    "-DCMAKE_LIBRARY_OUTPUT_DIRECTORY=$BUILD_DIR/Release" -DCMAKE_CXX_FLAGS=-DBUILDING_NODE_EXTENSION
    -DNODE_RUNTIME=node "-DNODE_RUNTIMEVERSION=$(node -p 'process.versions.node')" -DNODE_ARCH=x64
    "${cmake_extra[@]}")
  if ! run configure "$(left)" "${configure[@]}"; then
    status[build]=failed
    die "CMake configure failed: see $OUT/configure.log"
  fi
  if [ "$dry_run" != 1 ] && [ "$torch_has_cuda" = 1 ] && ! grep -q "torch-node: building with CUDA support" "$OUT/configure.log"; then
    status[build]=failed
    die "CMake found no CUDA in $torch_dir (no TORCH_CUDA_LIBRARIES): see $OUT/configure.log"
  fi
  step "building with $JOBS jobs"
  if ! run build "$(left)" cmake --build "$BUILD_DIR" --config Release -j "$JOBS"; then
    status[build]=failed
    die "the build failed: see $OUT/build.log (the first error: $(grep -m1 -E 'error' "$OUT/build.log" || echo '?'))"
  fi
  if [ "$dry_run" = 1 ]; then status[build]="dry run"; else status[build]=ok; fi
fi

export TORCH_NODE_ADDON="$ADDON"
if [ "$dry_run" != 1 ]; then
  [ -f "$ADDON" ] || die "no addon at $ADDON: run the build stage first"
  step "smoke test of $ADDON"
  smoke="$(node -e '
    const a = require(process.env.TORCH_NODE_ADDON);
    const info = { libtorch: a.libtorchVersion(), cuda_support: !!(a.cudaRuntime && a.cudaRuntime.hasCudaSupport()), cuda_available: a.cudaIsAvailable(), devices: a.cudaDeviceCount() };
    console.log(JSON.stringify(info));
  ')" || die "the addon does not load: $smoke"
  echo "$smoke" | tee "$OUT/addon.json"
  status[addon]="$smoke"
  if [[ "$smoke" != *'"cuda_available":true'* ]] && [ "$allow_no_cuda" != 1 ]; then
    die "the addon sees no CUDA device: $smoke"
  fi
fi

# ---- tests --------------------------------------------------------------------------------------------
if want test; then
  export TORCH_NODE_GPU_OUT="$OUT"
  if [ "$python_cuda" = True ]; then
    step "PyTorch's reference numbers on CUDA ($python_torch)"
    if run pytorch-reference 120 "$PYTHON" scripts/gpu/pytorch_cuda_reference.py "$OUT/pytorch_cuda_reference.json"; then
      export TORCH_NODE_CUDA_REFERENCE="$OUT/pytorch_cuda_reference.json"
      status[pytorch_reference]=ok
    else
      status[pytorch_reference]=failed
      echo "gpu-check: the PyTorch reference failed; the tests compare with the CPU fixtures instead" >&2
    fi
  fi
  step "tests: test/cuda*.test.ts test/amp*.test.ts"
  test_rc=0
  run tests "$(left)" node node_modules/vitest/vitest.mjs run test/cuda*.test.ts test/amp*.test.ts \
    --reporter=default --reporter=json "--outputFile.json=$OUT/vitest.json" || test_rc=$?
  if [ "$dry_run" != 1 ]; then
    # shellcheck disable=SC2016 # a JS template literal
    counts="$(node -e '
      try {
        const r = require(process.argv[1]);
        console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + (r.numTodoTests || 0)} skipped`);
      } catch { console.log("no result file"); }
    ' "$OUT/vitest.json")"
    status[tests]="$counts (exit $test_rc)"
    step "tests: $counts"
    [ "$test_rc" = 0 ] || failed=1
  fi
fi

# ---- benchmark ------------------------------------------------------------------------------------------
if want bench; then
  if [ ! -f bench/run.ts ]; then
    status[bench]="skipped: no bench/run.ts"
  elif ! grep -q -- '--device' bench/run.ts; then
    status[bench]="skipped: bench/run.ts has no --device option yet"
  elif [ $((BUDGET - (SECONDS - STARTED))) -lt 60 ]; then
    status[bench]="skipped: under 60 s of the budget left"
  else
    step "benchmark: bench/run.ts $BENCH_ARGS (PyTorch: $PYTHON)"
    # shellcheck disable=SC2086 # BENCH_ARGS is a list of arguments
    if BENCH_PYTHON="$PYTHON" run bench "$(left)" node --import tsx bench/run.ts $BENCH_ARGS; then
      status[bench]=ok
    else
      status[bench]=failed
      failed=1
    fi
    for f in bench/results*.json; do [ -f "$f" ] && cp "$f" "$OUT/"; done
  fi
  step "bench: ${status[bench]}"
fi

step "done in $((SECONDS - STARTED)) s; logs and results in $OUT"
exit "$failed"
