// Plain Node script for teardown.test.ts: a native runtime whose JavaScript environment goes away while its
// queued work still runs and a sync() and a read() wait for it. It loads the addon binary directly (a worker
// thread or a child process cannot load the TypeScript layer); the test passes the product's plan encoding.
//
// In a worker thread (workerData: { addon, n, jobs, enc, end }): queues `jobs` n x n products on a 2-thread
// runtime (each multiplies the last by `a`, every entry 1/n, so every product's entries are 1/n exactly), calls
// sync() and read() of the last product without awaiting them, then by `end`:
//   'terminate': posts { settled } (whether either had settled after an event loop turn) and waits to be
//                terminated;
//   'exit':      posts the same, then calls process.exit(7);
//   'await':     awaits both and posts { ok } (the product read back with every entry 1/n).
// As a child process, `node teardown.mjs <json>` with { addon, n, jobs, enc, run }:
//   run 'exit-now':   queues the products, calls sync() and read(), then process.exit(0) at once;
//   run 'exit-later': the same, process.exit(0) after an event loop turn;
//   run 'workers':    runWorker() ends workers by 'terminate', 'exit', 'terminate', 'exit', then one 'await'
//                     worker with a small product; prints each result as a line of JSON.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Queues the products; returns the runtime, the addon and the last product's handle. */
function queue({ addon, n, jobs, enc }) {
  const native = require(addon);
  const rt = native.createRuntime(2, 'auto', 'queue');
  const a = native.upload(rt, new Float32Array(n * n).fill(1 / n));
  let h = a;
  for (let i = 0; i < jobs; i++) h = native.run('MatMul', [h, a, null], enc, [0]);
  return { native, rt, h };
}

/** Runs this file as a worker with `data`; resolves with the messages it posted and its exit code. */
export function runWorker(data) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: data });
    const messages = [];
    worker.on('message', (m) => {
      messages.push(m);
      if (data.end === 'terminate') void worker.terminate();
    });
    worker.on('error', reject);
    worker.on('exit', (code) => resolve({ messages, code }));
  });
}

if (!isMainThread) {
  const w = workerData;
  const { native, rt, h } = queue(w);
  const sync = native.sync(rt);
  const read = native.read(h);
  if (w.end === 'await') {
    const [, out] = await Promise.all([sync, read]);
    parentPort.postMessage({ ok: out.length === w.n * w.n && out.every((v) => v === 1 / w.n) });
  } else {
    let settled = false;
    void Promise.race([sync, read]).then(() => (settled = true));
    setImmediate(() => {
      parentPort.postMessage({ settled });
      if (w.end === 'exit') process.exit(7);
    });
  }
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const c = JSON.parse(process.argv[2]);
  c.enc = Int32Array.from(c.enc);
  if (c.run === 'workers') {
    for (const end of ['terminate', 'exit', 'terminate', 'exit']) console.log(JSON.stringify({ end, ...(await runWorker({ ...c, end })) }));
    const small = { ...c, n: 64, jobs: 3, enc: Int32Array.from(c.smallEnc), end: 'await' };
    console.log(JSON.stringify({ end: 'await', ...(await runWorker(small)) }));
  } else {
    const { native, rt, h } = queue(c);
    void native.sync(rt);
    void native.read(h);
    if (c.run === 'exit-now') process.exit(0);
    setImmediate(() => process.exit(0));
  }
}
