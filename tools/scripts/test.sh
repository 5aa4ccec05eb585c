#!/usr/bin/env bash
# The README's test command: install, build, then every package's tests (conformance on every
# backend that can run here, browser tests in headless Chromium), packaging checks, and the
# native backend under AddressSanitizer.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/setup.sh
pnpm test
pnpm lint
if [ -f packages/native/package.json ] && grep -q '"test:asan"' packages/native/package.json; then
  pnpm --filter @stridenet/native test:asan
fi
pnpm --filter stridenet-bench smoke 2>/dev/null || true
