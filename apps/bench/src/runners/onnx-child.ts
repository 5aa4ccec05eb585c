/**
 * The ONNX Runtime child process (runners/onnx.ts forks it): onnxruntime-node runs here, not in the bench
 * process, so that under `--peer-isa avx2` the CPUID mask (cpuid-mask.ts, LD_PRELOAD) holds MLAS to AVX2
 * while the native runners of the same run keep their own ISA. It answers one message per request over
 * Node's IPC channel; each batch is timed here, so the channel's cost stays outside the clock.
 */
import { CPUID_MASK_ENV, parseCpuidMaskReport, readShimCounter } from '../cpuid-mask.js';
import { settle } from '../settle.js';
import type { OrtReply, OrtRequest } from './onnx-protocol.js';

type Ort = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Session {
  session: Ort;
  feeds: Record<string, unknown>;
  fetches: Record<string, unknown>;
  outBuf: Float32Array;
  first?: Float32Array;
}

let ort: Ort | undefined;
const sessions = new Map<number, Session>();
let nextHandle = 1;
const mask = parseCpuidMaskReport(process.env[CPUID_MASK_ENV]);

/** The shim's counts now (undefined without the shim). */
function counts(): { emulated?: number; passed?: number } {
  if (!mask?.counters) return {};
  return { emulated: readShimCounter(mask.counters.emulated), passed: readShimCounter(mask.counters.passed) };
}

function get(handle: number): Session {
  const s = sessions.get(handle);
  if (!s) throw new Error(`no session ${handle}`);
  return s;
}

async function handle(m: OrtRequest): Promise<OrtReply> {
  switch (m.cmd) {
    case 'hello': {
      const mod = await import('onnxruntime-node');
      ort = (mod as { default?: Ort }).default ?? mod;
      return { version: ort.env?.versions?.common ?? 'unknown', mask: process.env[CPUID_MASK_ENV] ?? null, ...counts() };
    }
    case 'prepare': {
      if (!ort) throw new Error('prepare before hello');
      const session = await ort.InferenceSession.create(m.model, {
        executionProviders: ['cpu'],
        intraOpNumThreads: m.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      const feeds: Record<string, unknown> = {};
      for (const f of m.feeds) feeds[f.name] = new ort.Tensor('float32', f.data, f.shape);
      // A preallocated output: run() writes into it instead of returning a fresh copy each call.
      const outBuf = new Float32Array(m.outShape.reduce((a, b) => a * b, 1));
      const fetches = { [m.outName]: new ort.Tensor('float32', outBuf, [...m.outShape]) };
      const h = nextHandle++;
      sessions.set(h, { session, feeds, fetches, outBuf });
      return { handle: h, ...counts() };
    }
    case 'run': {
      const s = get(m.handle);
      // Untimed: this process's pool workers idle before the batch (as measure.ts does in-process) ...
      if (m.settle) await settle();
      const before = counts().emulated;
      const t0 = performance.now();
      for (let i = 0; i < m.n; i++) {
        await s.session.run(s.feeds, s.fetches);
        if (!s.first) s.first = new Float32Array(s.outBuf);
      }
      const seconds = (performance.now() - t0) / 1000;
      const after = counts().emulated;
      // ... and after it, so that the next runner's batch (in another process) does not meet them spinning.
      if (m.settle) await settle();
      return { seconds, ...(before !== undefined && after !== undefined ? { emulatedInBatch: after - before } : {}) };
    }
    case 'output': {
      const s = get(m.handle);
      if (!s.first) throw new Error('no output yet');
      return { data: s.first };
    }
    case 'rss':
      return { rss: process.memoryUsage.rss() };
    case 'counts':
      return counts();
    case 'dispose': {
      const s = get(m.handle);
      sessions.delete(m.handle);
      await s.session.release();
      return {};
    }
    case 'exit':
      setImmediate(() => process.exit(0));
      return {};
  }
}

process.on('message', (m: OrtRequest & { id: number }) => {
  handle(m).then(
    (reply) => process.send!({ ...reply, id: m.id }),
    (e: unknown) => process.send!({ id: m.id, error: String((e as Error)?.message ?? e).split('\n')[0] }),
  );
});
// The parent gone (killed, crashed): nothing is left to answer.
process.on('disconnect', () => process.exit(0));
