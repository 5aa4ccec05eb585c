// Where the time of a compiled inference run goes on the native backend, from the runtime's timeline
// (startNativeTrace): per run the JavaScript thread's time in and between kernel calls, the queue thread's
// waits for work, and per kernel the thread time left unused (job time x threads - busy task time), split
// into time outside parallel sections (serial), inside them after a thread ran out of tasks (imbalance), and
// task time lost to preemption (task wall - thread CPU: the machine's other jobs).
// Run: pnpm exec tsx --conditions @stridenet/source bench/timeline.ts [model] [batch] [--threads N] [--runs 5]
//      [--budget auto|Infinity|bytes] [--top 12] [--eager | --train] [--blocks on|off]
// --train traces one training step (trainStep, SGD with momentum, labels i % 10) instead of inference, through
// compile(model, { mode: 'training' }), or the model itself with --eager.
// --simulate N (with --threads 2 or more: one thread runs a section as one task): per kernel, the time N threads
// would take if each claimed the next task of a section when free (tasks costing their CPU time in this run, in
// the order they started; time outside sections stays serial): how well each kernel's tasks split, with the
// load's preemption left out. --late U: the other threads join each section U microseconds after it starts
// (a worker woken late, or its vCPU away): how much of that a kernel's split absorbs.
import { Rng, Sgd, compile, createModel, setBackend, tensor, trainStep } from '@stridenet/core';
import { addon } from '../src/addon.js';
import { startNativeTrace, stopNativeTrace, type NativeTraceEvent } from '../src/index.js';
import { backend } from './common.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const [model = 'resnet20', batchArg = '64'] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const batch = Number(batchArg);
const runs = Number(arg('runs', '5'));
const top = Number(arg('top', '12'));
const budget = arg('budget', 'auto');
const be = await backend();
if (process.argv.includes('--blocks')) addon().taskBlocks(arg('blocks', 'on') === 'on');
// Label each kernel call (in call order: the runtime's calls, jobs and inline kernels follow it).
const labels: string[] = [];
const kernels = be.kernels as unknown as Record<string, (i: unknown, a: unknown) => unknown>;
const wrapped: Record<string, unknown> = {};
type Attrs = { plan?: { inShape?: number[]; filterShape?: number[]; strideHeight?: number; outShape?: number[] } };
for (const [name, fn] of Object.entries(kernels)) {
  wrapped[name] = (i: unknown, a: Attrs) => {
    const p = a?.plan;
    labels.push(`${name} ${p?.inShape?.join('x') ?? ''}${p?.filterShape ? ` f${p.filterShape.join('x')}/${p.strideHeight}` : ''}`);
    return fn(i, a);
  };
}
(be as { kernels: unknown }).kernels = wrapped;
await setBackend(be);
const options = model === 'resnet18' ? { numClasses: 1000, inputShape: [3, 224, 224] } : model === 'lenet5' ? {} : { inputShape: [3, 32, 32] };
const m = createModel(model, { seed: 1, ...options });
const x = tensor(new Rng(1).normal(batch * m.inputShape.reduce((a, b) => a * b, 1)), [batch, ...m.inputShape]);
const train = process.argv.includes('--train');
const eager = process.argv.includes('--eager');
const c = eager || train ? undefined : await compile(m, { mode: 'inference', maxActivationBytes: budget === 'auto' ? 'auto' : Number(budget) });
const trained = train && !eager ? await compile(m, { mode: 'training' }) : m;
const labels10 = Int32Array.from({ length: batch }, (_, i) => i % 10);
const opt = new Sgd({ lr: 0.01, momentum: 0.9 });
const once = async () => {
  if (train) {
    await trainStep(trained, opt, x, labels10, { rng: new Rng(0) });
    return;
  }
  const y = c ? c.run(x) : m.forward(x, { training: false, rng: new Rng(0) });
  await y.data();
  y.dispose();
};
for (let i = 0; i < 3; i++) await once();
const T = be.threads;
console.log(`${model} b${batch} ${train ? `${eager ? 'eager' : 'compiled'} training step` : eager ? 'eager' : `compiled (slices of ${c!.sliceSize(batch)})`}, native ${be.isa}, ${T} thread(s)`);

const sum = (a: number[]) => a.reduce((p, q) => p + q, 0);
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
const f = (v: number) => (v / 1000).toFixed(2).padStart(7);
const simulate = Number(arg('simulate', '0'));
const lateUs = Number(arg('late', '0'));
/** Makespan of tasks (costs in claim order) on n threads, each taking the next task when it is free. */
const makespan = (costs: number[], n: number) => {
  const free = new Array<number>(n).fill(lateUs);
  free[0] = 0;
  for (const c of costs) {
    let k = 0;
    for (let i = 1; i < n; i++) if (free[i]! < free[k]!) k = i;
    free[k]! += c;
  }
  return Math.max(...free);
};
const simulated = new Map<string, { calls: number; cpu: number; time: number; predicted: number; tasks: number }>();
interface Lost {
  label: string;
  calls: number;
  time: number;
  serial: number;
  imbalance: number;
  preempted: number;
  cpu: number;
  sections: number;
}
const perKernel = new Map<string, Lost>();
/** Per kernel, mean per run: tails of the sections no task of which was preempted. */
const cleanTails = new Map<string, number>();
const rows: Record<string, number[]> = {};
const put = (k: string, v: number) => (rows[k] ??= []).push(v);
for (let r = 0; r < runs; r++) {
  labels.length = 0;
  const c0 = process.cpuUsage();
  startNativeTrace();
  await once();
  const ev = stopNativeTrace();
  const cu = process.cpuUsage(c0);
  const calls = ev.filter((e) => e.kind === 'call');
  const jobs = ev.filter((e) => e.kind === 'job' || e.kind === 'inline');
  // Calls and jobs in call order: a job's enqueue time is its call's start.
  const byStart = new Map(calls.map((e, i) => [e.start, i]));
  const jobLabel = (j: NativeTraceEvent) => labels[byStart.get(j.kind === 'job' ? j.queued : j.start) ?? -1] ?? j.kernel!;
  const t0 = calls[0]!.start;
  const t1 = Math.max(...jobs.map((j) => j.end), calls.at(-1)!.end);
  put('wall (first call to last kernel end)', t1 - t0);
  put('process CPU (all threads)', cu.user + cu.system);
  put('JS: time in kernel calls', sum(calls.map((e) => e.end - e.start)));
  put('JS: first call to last call', calls.at(-1)!.end - t0);
  put('JS: between calls (core, ops)', calls.at(-1)!.end - t0 - sum(calls.map((e) => e.end - e.start)));
  const queued = jobs.filter((j) => j.kind === 'job').sort((a, b) => a.start - b.start);
  let starved = 0;
  let handoff = 0;
  let prev = t0;
  for (const j of queued) {
    if (j.queued > prev) starved += j.start - prev;
    else handoff += j.start - prev;
    prev = j.end;
  }
  put('queue: waiting for JS to enqueue', starved);
  put('queue: start after previous end', handoff);
  put(`inline kernels on JS (${jobs.length - queued.length})`, sum(jobs.filter((j) => j.kind === 'inline').map((j) => j.end - j.start)));
  const tasks = ev.filter((e) => e.kind === 'task');
  const sections = ev.filter((e) => e.kind === 'run');
  for (let t = 0; t < T; t++) {
    const mine = tasks.filter((e) => e.thread === t);
    put(`thread ${t}: busy in tasks`, sum(mine.map((e) => e.end - e.start)));
    put(`thread ${t}: preempted in tasks`, sum(mine.map((e) => Math.max(0, e.end - e.start - e.cpu))));
    put(`thread ${t}: CPU in tasks`, sum(mine.map((e) => Math.min(e.cpu, e.end - e.start))));
    const sleeps = ev.filter((e) => e.kind === 'sleep' && e.thread === t);
    put(`thread ${t}: sleeps (count)`, sleeps.length * 1000);
    put(`thread ${t}: asleep`, sum(sleeps.map((e) => e.end - e.start)));
  }
  put('all threads: CPU in tasks', sum(tasks.map((e) => Math.min(e.cpu, e.end - e.start))));
  put('parallel sections (count)', sections.length * 1000);
  put('tasks from another thread\'s block (count)', tasks.filter((e) => e.stolen).length * 1000);
  // Per section with several tasks: how late each worker took its first task, and how long the section ran
  // on after the first thread ran out of tasks (the tail).
  let late = 0;
  let tail = 0;
  let absent = 0;
  let tailLater = 0;
  let [clean, cleanTail, cleanLate, cleanTime] = [0, 0, 0, 0];
  let timeLater = 0;
  const lastCall = calls.at(-1)!.end;
  for (const s of sections) {
    if ((s.tasks ?? 0) < 2) continue;
    const inside = tasks.filter((e) => e.start >= s.start && e.end <= s.end);
    const lastEnd: number[] = [];
    for (let t = 0; t < T; t++) {
      const mine = inside.filter((e) => e.thread === t);
      if (mine.length === 0) {
        absent++;
        continue;
      }
      if (t > 0) late += Math.min(...mine.map((e) => e.start)) - s.start;
      lastEnd.push(Math.max(...mine.map((e) => e.end)));
    }
    tail += s.end - Math.min(...lastEnd);
    // Sections no task of which lost 5 us to preemption: the tail an idle machine would see.
    if (lastEnd.length === T && inside.every((e) => e.end - e.start - e.cpu < 5)) {
      cleanTail += s.end - Math.min(...lastEnd);
      const job = queued.find((j) => j.start <= s.start && s.end <= j.end);
      if (job) cleanTails.set(jobLabel(job), (cleanTails.get(jobLabel(job)) ?? 0) + (s.end - Math.min(...lastEnd)) / runs);
      cleanLate += Math.min(...inside.filter((e) => e.thread > 0).map((e) => e.start)) - s.start;
      cleanTime += s.end - s.start;
      clean++;
    }
    if (s.start > lastCall) {
      tailLater += s.end - Math.min(...lastEnd);
      timeLater += s.end - s.start;
    }
  }
  put('sections after the last call: time', timeLater);
  put('sections after the last call: tail', tailLater);
  put('sections: workers\' late start (sum)', late);
  put('sections: tail after first thread done', tail);
  put('sections: a worker took no task (count)', absent * 1000);
  put('sections without preemption (count)', clean * 1000);
  put('  their time', cleanTime);
  put('  their tail after first thread done', cleanTail);
  put('  their workers\' late start', cleanLate);
  put('tasks per section (mean)', (tasks.length / Math.max(1, sections.length)) * 1000);
  for (const j of queued) {
    const inJob = (e: NativeTraceEvent) => e.start >= j.start && e.end <= j.end;
    const jt = tasks.filter(inJob);
    const js = sections.filter(inJob);
    const busy = sum(jt.map((e) => e.end - e.start));
    const inSections = sum(js.map((e) => e.end - e.start));
    // Single-thread sections (a one-task run) count as serial.
    const serialSections = sum(js.filter((s) => s.tasks === 1).map((e) => e.end - e.start));
    const label = jobLabel(j);
    const l = perKernel.get(label) ?? { label, calls: 0, time: 0, serial: 0, imbalance: 0, preempted: 0, cpu: 0, sections: 0 };
    l.calls += 1 / runs;
    l.time += (j.end - j.start) / runs;
    const serial = (j.end - j.start - inSections + serialSections) * (T - 1);
    l.serial += serial / runs;
    l.imbalance += Math.max(0, (j.end - j.start) * T - busy - serial) / runs;
    l.preempted += sum(jt.map((e) => Math.max(0, e.end - e.start - e.cpu))) / runs;
    l.cpu += sum(jt.map((e) => Math.min(e.cpu, e.end - e.start))) / runs;
    l.sections += js.length / runs;
    perKernel.set(label, l);
    if (simulate > 0) {
      const sim = simulated.get(label) ?? { calls: 0, cpu: 0, time: 0, predicted: 0, tasks: 0 };
      let predicted = 0;
      let outside = j.end - j.start;
      for (const s of js) {
        const costs = tasks
          .filter((e) => e.start >= s.start && e.end <= s.end)
          .sort((a, b) => a.start - b.start)
          .map((e) => e.cpu);
        predicted += makespan(costs, simulate);
        outside -= s.end - s.start;
        sim.tasks += costs.length / runs;
      }
      sim.calls += 1 / runs;
      sim.cpu += sum(jt.map((e) => e.cpu)) / runs;
      sim.time += (j.end - j.start) / runs;
      sim.predicted += (predicted + Math.max(0, outside)) / runs;
      simulated.set(label, sim);
    }
  }
}
console.log(`median of ${runs} traced runs, ms:`);
for (const [k, v] of Object.entries(rows)) console.log(`  ${k.padEnd(40)} ${f(median(v))}`);
const all = [...perKernel.values()];
const total = (k: keyof Lost) => sum(all.map((l) => l[k] as number));
console.log(`tails of sections without preemption, per kernel, mean per run (ms):`);
for (const [k, v] of [...cleanTails].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${k.slice(0, 44).padEnd(44)} ${f(v)}`);
console.log(`per kernel, mean per run (ms): time, unused thread time = serial + imbalance, preempted inside tasks, CPU time in tasks`);
console.log(`  ${'all'.padEnd(44)} calls ${total('calls').toFixed(0).padStart(4)} time ${f(total('time'))} serial ${f(total('serial'))} imbalance ${f(total('imbalance'))} preempted ${f(total('preempted'))} cpu ${f(total('cpu'))}`);
for (const l of all.sort((a, b) => b.serial + b.imbalance - a.serial - a.imbalance).slice(0, top)) {
  console.log(
    `  ${l.label.slice(0, 44).padEnd(44)} calls ${l.calls.toFixed(0).padStart(4)} time ${f(l.time)} serial ${f(l.serial)} imbalance ${f(l.imbalance)} preempted ${f(l.preempted)} cpu ${f(l.cpu)} sections ${(l.sections / l.calls).toFixed(1)}`,
  );
}
if (simulate > 0) {
  const sims = [...simulated].sort((a, b) => b[1].cpu - a[1].cpu);
  const cpu = sum(sims.map(([, v]) => v.cpu));
  const pred = sum(sims.map(([, v]) => v.predicted));
  console.log(`simulated on ${simulate} threads${lateUs ? `, the others ${lateUs} us late` : ''}, mean per run (ms): task CPU, predicted, CPU / predicted (ideal ${simulate}), tasks per call`);
  console.log(`  ${'all'.padEnd(44)} cpu ${f(cpu)} predicted ${f(pred)} ${(cpu / pred).toFixed(2)}x`);
  for (const [k, v] of sims.slice(0, top)) {
    console.log(`  ${k.slice(0, 44).padEnd(44)} calls ${v.calls.toFixed(0).padStart(3)} cpu ${f(v.cpu)} predicted ${f(v.predicted)} ${(v.cpu / v.predicted).toFixed(2)}x tasks ${(v.tasks / v.calls).toFixed(0)}`);
  }
}
c?.dispose();
opt.dispose();
x.dispose();
m.dispose();
