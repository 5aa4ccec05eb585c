/**
 * The worker's whole program, as source text, so one bundle can start workers in Node
 * (worker_threads with eval) and in browsers (a Blob URL) without shipping a second file.
 * Each worker instantiates the same compiled module over the shared memory and then sleeps on the
 * control block; the main thread bumps the generation, and every thread claims work units from
 * an atomic counter until none are left.
 *
 * Control block (Int32Array): 0 generation, 1 workers done, 2 export index (-1: exit),
 * 3 units, 4 next unit, 5 frame, 6 scratch base, 7 scratch stride, 8 grain.
 */
const body = `
function start(data, post) {
  const inst = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
  const fns = data.names.map((n) => inst.exports[n]);
  const ctl = new Int32Array(data.control);
  const workers = data.workers;
  const scratchOffset = data.tid;
  let gen = Atomics.load(ctl, 0);
  post('ready');
  for (;;) {
    // Spin briefly before sleeping: kernels tend to come back to back, and a futex wake-up costs
    // tens of microseconds (milliseconds on a busy machine), more than a small kernel takes.
    for (let i = 0; i < 20000 && Atomics.load(ctl, 0) === gen; i++);
    Atomics.wait(ctl, 0, gen);
    const now = Atomics.load(ctl, 0);
    if (now === gen) continue;
    gen = now;
    const f = Atomics.load(ctl, 2);
    if (f < 0) return;
    const fn = fns[f];
    const units = ctl[3], frame = ctl[5], grain = ctl[8];
    const scratch = ctl[6] + scratchOffset * ctl[7];
    try {
      for (;;) {
        const u = Atomics.add(ctl, 4, grain);
        if (u >= units) break;
        fn(frame, u, Math.min(u + grain, units), scratch);
      }
    } catch (e) {
      Atomics.store(ctl, 9, 1);
    }
    if (Atomics.add(ctl, 1, 1) + 1 === workers) Atomics.notify(ctl, 1);
  }
}
`;

export const NODE_WORKER_SOURCE = `${body}
const { parentPort } = require('node:worker_threads');
parentPort.once('message', (data) => { start(data, (m) => parentPort.postMessage(m)); process.exit(0); });
`;

export const BROWSER_WORKER_SOURCE = `${body}
self.onmessage = (e) => { self.onmessage = null; start(e.data, (m) => self.postMessage(m)); self.close(); };
`;
