/**
 * The worker's whole program, as source text, so one bundle can start workers in Node
 * (worker_threads with eval) and in browsers (a Blob URL) without shipping a second file.
 * Each worker instantiates the same compiled module over the shared memory and then sleeps on the
 * control block; the main thread bumps the generation, and every thread claims work units from
 * an atomic counter until none are left.
 *
 * Control block (Int32Array): 0 generation, 1 workers done, 2 export index (-1: exit),
 * 3 units, 4 next unit, 5 frame, 6 scratch base, 7 scratch stride, 8 grain, 9 id of the first
 * worker that trapped (0: none), 10 workers joined (negative once the calling thread has closed the
 * task), 11 byte length of that worker's error text in the shared trapText buffer.
 *
 * A worker joins a task by incrementing slot 10 and only then reads the task; the calling thread,
 * out of units, swaps slot 10 for a large negative number and waits for as many "done" as had
 * joined. A worker that wakes late finds the task closed and goes back to sleep, so a descheduled
 * worker never holds up a kernel it took no part in. A join that lands on the next task's fresh
 * counter (the worker was slow to read the generation) simply takes part in that task.
 */
const body = `
function start(data, post) {
  const inst = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
  const fns = data.names.map((n) => inst.exports[n]);
  const ctl = new Int32Array(data.control);
  const trapText = new Uint8Array(data.trapText);
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
    if (Atomics.load(ctl, 2) < 0) return;
    if (Atomics.add(ctl, 10, 1) < 0) continue;
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
      // The first trapping worker leaves its message for the calling thread, which throws it.
      if (Atomics.compareExchange(ctl, 9, 0, data.tid) === 0) {
        const bytes = new TextEncoder().encode(String(e)).subarray(0, trapText.length);
        trapText.set(bytes);
        Atomics.store(ctl, 11, bytes.length);
      }
    }
    Atomics.add(ctl, 1, 1);
    Atomics.notify(ctl, 1);
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
