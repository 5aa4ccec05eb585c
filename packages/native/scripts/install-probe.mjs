// Runs inside a project that installed @stridenet/core and @stridenet/native from their tarballs (copied
// there by scripts/check-install.mjs): loads the native backend as a user would, runs a convolution and
// checks it against a plain-JavaScript reference, and prints which binary loaded as one JSON line.
// Exits non-zero on any mismatch; with EXPECT_SOURCE set (prebuild | build) it also fails when the
// binary came from elsewhere.
import { conv2d, setBackend, tensor } from '@stridenet/core';
import { createNativeBackend, nativeBinary } from '@stridenet/native';

const [n, c, h, w, k, r] = [2, 3, 7, 6, 4, 3];
const xs = Float32Array.from({ length: n * c * h * w }, (_, i) => Math.sin(i * 0.37));
const ws = Float32Array.from({ length: k * c * r * r }, (_, i) => Math.cos(i * 0.53));
// 'same' padding, stride 1: output position (y, x) reads input (y + i - 1, x + j - 1), zero outside.
const expected = new Float32Array(n * k * h * w);
for (let b = 0; b < n; b++)
  for (let o = 0; o < k; o++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let ci = 0; ci < c; ci++)
          for (let i = 0; i < r; i++)
            for (let j = 0; j < r; j++) {
              const yy = y + i - 1;
              const xx = x + j - 1;
              if (yy >= 0 && yy < h && xx >= 0 && xx < w) s += xs[((b * c + ci) * h + yy) * w + xx] * ws[((o * c + ci) * r + i) * r + j];
            }
        expected[((b * k + o) * h + y) * w + x] = Math.max(0, s);
      }

const t0 = performance.now();
const backend = await createNativeBackend({ threads: 2 });
await setBackend(backend);
const y = conv2d(tensor(xs, [n, c, h, w]), tensor(ws, [k, c, r, r]), { padding: 'same', activation: 'relu' });
const got = await y.data();
const ms = performance.now() - t0;
let maxError = 0;
for (let i = 0; i < expected.length; i++) maxError = Math.max(maxError, Math.abs(got[i] - expected[i]));
const binary = nativeBinary();
const report = { platform: `${process.platform}-${process.arch}`, node: process.version, isa: backend.isa, binary, maxError, ms: Math.round(ms) };
console.log(JSON.stringify(report));
if (!(maxError < 1e-4) || got.length !== expected.length) {
  console.error(`install-probe: conv2d differs from the reference by ${maxError} (${got.length} values, expected ${expected.length})`);
  process.exit(1);
}
if (process.env.EXPECT_SOURCE && binary.source !== process.env.EXPECT_SOURCE) {
  console.error(`install-probe: loaded ${binary.path} (${binary.source}) but expected a ${process.env.EXPECT_SOURCE} binary`);
  process.exit(1);
}
