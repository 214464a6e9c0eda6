#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs on a GPU machine that may have no Node.js and no
# network: this machine's x86-64 Node binary and the node_modules needed to build the addon
# (node-addon-api, node-api-headers), run the tests (vitest) and the benchmark (tsx),
# each xz-compressed, about 40 MiB in all. The sources travel as the working tree.
#
#   scripts/pack-for-gpu.sh [OUT_DIR]        (default: build/gpu-pack, inside the ignored build/)
#
# Then, with the device tool, carry OUT_DIR and run the check:
#   run(command: "bash scripts/gpu-check.sh", carry: ["build/gpu-pack"], timeout_s: 600)
# gpu-check.sh finds the pack at build/gpu-pack (or $TORCH_NODE_GPU_PACK).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="${1:-$ROOT/build/gpu-pack}"
# What travels with a device run, working tree included, must stay under 64 MiB.
PACK_LIMIT_MIB="${PACK_LIMIT_MIB:-48}"

die() {
  echo "pack-for-gpu: $*" >&2
  exit 1
}

command -v node >/dev/null || die "node is not on PATH"
command -v xz >/dev/null || die "xz is not installed (apt-get install xz-utils)"
cd "$ROOT"
[ -d node_modules ] || die "node_modules is missing: run npm install first"

platform="$(node -p 'process.platform + "-" + process.arch')"
[ "$platform" = "linux-x64" ] || die "this Node is $platform; the GPU machine needs a linux-x64 binary"
node_bin="$(node -p process.execPath)"
node_version="$(node -p process.version)"
mkdir -p "$OUT_DIR"

# 1. The Node binary: the one running here, so the addon's N-API version and the tests agree.
if [ -f "$OUT_DIR/node.xz" ] && [ "$(cat "$OUT_DIR/node.version" 2>/dev/null)" = "$node_version" ]; then
  echo "pack-for-gpu: node $node_version already packed"
else
  echo "pack-for-gpu: compressing $node_bin ($node_version)..."
  xz -6 -T0 -c "$node_bin" >"$OUT_DIR/node.xz.tmp"
  mv "$OUT_DIR/node.xz.tmp" "$OUT_DIR/node.xz"
  echo "$node_version" >"$OUT_DIR/node.version"
fi

# 2. node_modules: the run-time closure of the packages the GPU check uses.
mapfile -t modules < <(node scripts/gpu/node-modules-closure.cjs vitest tsx node-addon-api node-api-headers)
[ "${#modules[@]}" -gt 0 ] || die "no node_modules to pack"
echo "pack-for-gpu: packing ${#modules[@]} packages from node_modules..."
tar -cf - "${modules[@]}" | xz -6 -T0 >"$OUT_DIR/node_modules.tar.xz.tmp"
mv "$OUT_DIR/node_modules.tar.xz.tmp" "$OUT_DIR/node_modules.tar.xz"

# 3. A manifest, and the size check.
{
  echo "packed: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "node: $node_version ($platform)"
  echo "packages: ${#modules[@]}"
  (cd "$OUT_DIR" && sha256sum node.xz node_modules.tar.xz)
} >"$OUT_DIR/manifest.txt"
size_kib="$(du -sk "$OUT_DIR" | cut -f1)"
echo "pack-for-gpu: $OUT_DIR holds $((size_kib / 1024)) MiB:"
ls -l "$OUT_DIR"
if [ "$size_kib" -gt $((PACK_LIMIT_MIB * 1024)) ]; then
  die "the pack is over ${PACK_LIMIT_MIB} MiB; with the working tree it may not fit the 64 MiB a device run carries"
fi
# Untracked build folders outside .gitignore travel with the working tree too: warn about big ones.
big="$(git ls-files -o --exclude-standard -z 2>/dev/null | xargs -0 -r du -ck 2>/dev/null | tail -1 | cut -f1 || echo 0)"
if [ "${big:-0}" -gt $((8 * 1024)) ]; then
  echo "pack-for-gpu: warning: untracked, unignored files in the working tree add $((big / 1024)) MiB to a device run (build folders? add them to .gitignore or remove them)" >&2
fi
