import { addon } from './addon.js';

/** One event of the native runtime's timeline; times in microseconds since the first event. */
export interface NativeTraceEvent {
  /**
   * 'call': a kernel call on the JavaScript thread (start..end); 'job': a queued kernel (enqueued at
   * `queued`, run start..end on the queue thread); 'inline': a kernel run on the JavaScript thread (small
   * work, or the first kernel after a wait); 'task': one pool task (cpu: the thread's CPU time in it);
   * 'run': one parallel section of a kernel (`tasks` tasks); 'sleep': a thread blocked waiting for work or
   * for the other threads.
   */
  kind: 'call' | 'job' | 'inline' | 'task' | 'run' | 'sleep';
  /** -1: the JavaScript thread; 0: the queue thread (it runs tasks too); 1 and up: pool workers. */
  thread: number;
  queued: number;
  start: number;
  end: number;
  cpu: number;
  /** Kernel name of calls, jobs and inline kernels. */
  kernel?: string;
  tasks?: number;
  /** Tasks: taken from another thread's block of the run (each thread starts on its own block). */
  stolen?: boolean;
}

const KINDS = ['call', 'job', 'inline', 'task', 'run', 'sleep'] as const;

/**
 * Starts recording a timeline of every native backend's kernel calls, queued jobs, pool tasks and
 * sleeps (for profiling: bench/timeline.ts). Recording costs a clock read and a locked append per
 * event; when it is off the runtime checks one flag per event.
 */
export function startNativeTrace(): void {
  addon().trace(true);
}

/** Stops recording and returns the events since startNativeTrace(), in the order they were recorded. */
export function stopNativeTrace(): NativeTraceEvent[] {
  const { names, events } = addon().trace(false);
  const out: NativeTraceEvent[] = [];
  for (let i = 0; i < events.length; i += 7) {
    const kind = KINDS[events[i]!]!;
    const aux = events[i + 6]!;
    out.push({
      kind,
      thread: events[i + 1]!,
      queued: events[i + 2]!,
      start: events[i + 3]!,
      end: events[i + 4]!,
      cpu: events[i + 5]!,
      ...(kind === 'call' || kind === 'job' || kind === 'inline' ? { kernel: names[aux] } : {}),
      ...(kind === 'run' ? { tasks: aux } : {}),
      ...(kind === 'task' ? { stolen: aux === 1 } : {}),
    });
  }
  return out;
}
