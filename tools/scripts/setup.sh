#!/usr/bin/env bash
# Installs everything stridenet needs on a fresh Debian 12 machine (run as root, or with sudo available):
# system packages, pnpm, the workspace's npm dependencies, and a build of every package.
# Idempotent: re-running skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need_apt=()
# g++-aarch64-linux-gnu and qemu-user-static: the native backend's linux-arm64 test under emulation.
for pkg in dataset-fashion-mnist chromium g++-aarch64-linux-gnu qemu-user-static; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# GPU-less WebGPU for Node (software Vulkan/GL), see packages/webgpu/README.md.
if [ -x packages/webgpu/scripts/setup-ci.sh ]; then
  bash packages/webgpu/scripts/setup-ci.sh
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v | cut -d. -f1)" != "10" ]; then
  echo "setup: installing pnpm 10"
  npm install -g pnpm@10.34.9 >/dev/null
fi

pnpm install --frozen-lockfile
pnpm build
