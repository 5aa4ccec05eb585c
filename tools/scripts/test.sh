#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, checks the files generated from the
# kernel spec, typechecks every package, then runs every package's tests
# (the conformance suite on cpu-js, wasm threaded and single-threaded, native and webgpu; browser
# tests in headless Chromium; the CLI end to end), packaging checks (publint, attw), the native
# backend under AddressSanitizer and, cross-built, on linux-arm64 under QEMU emulation, and the
# benchmark harness in smoke mode, and the consumer test (the packed tarballs installed with npm in
# an empty project: README code blocks, strict types, native prebuild, a browser page, the CLI).
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
step() { echo; echo "== $1 ($(( $(date +%s) - start )) s)"; }

step "setup"
bash tools/scripts/setup.sh

step "kernel spec: generated ABI files up to date, every kernel file present (tools/spec-gen)"
pnpm --silent spec:check

step "typecheck: tsc over every package's sources and tests (turbo run typecheck)"
pnpm typecheck --concurrency=2 --output-logs=errors-only

step "README figures: generated blocks equal the committed bench JSON, no ratio outside them (stridenet-bench readme --check)"
node apps/bench/dist/bin.js readme README.md --check --json models=apps/bench/results/final/models/bench.json --json peer-models=apps/bench/results/final-peer-avx2/models/bench.json --json peer-ops=apps/bench/results/final-peer-avx2/ops/bench.json

export STRIDENET_CAPABILITY_DIR="$PWD/packages/conformance/capability"
mkdir -p "$STRIDENET_CAPABILITY_DIR"

step "tests"
pnpm test

step "packaging checks (publint, are-the-types-wrong)"
pnpm lint

step "native backend under AddressSanitizer"
pnpm --filter @stridenet/native test:asan

step "native backend on linux-arm64 (cross build, conformance suite under qemu-aarch64)"
pnpm --filter @stridenet/native test:arm64

step "benchmark harness, smoke mode"
pnpm --filter stridenet-bench smoke

step "capability matrix"
pnpm --silent --filter @stridenet/conformance capability-table "$STRIDENET_CAPABILITY_DIR"

# Budget 4 min; measured 2.5-3 min on 2 shared cores (prebuild reuse + pack 10-20 s, npm i ~20 s,
# README blocks ~50 s (the core hello-world trains one epoch on cpu-js: ~30 s), types 35-60 s, native
# 2-6 s, browser 10-25 s, CLI 2-4 s); reaches the npm registry for third-party dependencies (npm cache reused).
step "consumer test: tarballs installed with npm outside the workspace (tools/consumer)"
pnpm --filter @stridenet/consumer-test consumer

step "done"
