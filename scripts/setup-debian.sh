#!/usr/bin/env bash
# Installs what torch-node needs on Debian 12 / Ubuntu, skipping what is already there:
# libtorch (libtorch-dev), CMake, Ninja, ccache and a C++ compiler.
#   scripts/setup-debian.sh            build + test requirements
#   scripts/setup-debian.sh --python   also Debian's python3-torch (the PyTorch that
#                                      fixture scripts and `npm run bench` compare against)
set -euo pipefail

want=()
[ -f /usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake ] || [ -f /usr/lib/aarch64-linux-gnu/cmake/Torch/TorchConfig.cmake ] || want+=(libtorch-dev)
# Gloo's headers: torch.distributed's CPU backend (libtorch-dev ships libgloo but not its headers)
[ -f /usr/include/gloo/context.h ] || want+=(libgloo-dev)
command -v cmake >/dev/null || want+=(cmake)
command -v ninja >/dev/null || want+=(ninja-build)
command -v ccache >/dev/null || want+=(ccache)
command -v g++ >/dev/null || want+=(g++)
if [ "${1:-}" = "--python" ]; then
  /usr/bin/python3 -c 'import torch' 2>/dev/null || want+=(python3-torch)
fi

if [ ${#want[@]} -eq 0 ]; then
  echo "setup-debian: everything is already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
echo "setup-debian: installing ${want[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${want[@]}"
