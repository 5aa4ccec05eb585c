// Timeline of the native runtime for profiling (bench/timeline.ts): kernel calls, queued jobs, pool tasks
// and sleeps, with wall and thread CPU times. Off by default; when off each probe is one relaxed load.
#pragma once

#include <time.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace sn::trace {

/** What an event records (the `kind` column of the exported table). */
enum Kind : int {
  /** A kernel call on the JavaScript thread: from entering run() to returning its handles. */
  Call = 0,
  /** A queued job: a = enqueue time, b = start, c = end (on the queue thread). */
  Job = 1,
  /** A kernel body run on the JavaScript thread (small work on an idle queue): b = start, c = end. */
  Inline = 2,
  /** One pool task: b = start, c = end, cpu = thread CPU time it took, aux = 1 when taken from another thread's block. */
  Task = 3,
  /** A pool run() on the queue thread: b = start, c = end, aux = tasks. */
  Run = 4,
  /** A blocking sleep on a condition variable (worker, caller of run(), or queue thread): b..c. */
  Sleep = 5,
};

struct Event {
  int kind;
  /** -1: the JavaScript thread; 0: the queue thread (caller of pool runs); 1..: pool workers. */
  int thread;
  uint64_t a, b, c;
  int64_t cpu;
  /** Kernel name index (Call, Job, Inline) or task count (Run). */
  int64_t aux;
};

inline std::atomic<bool> active{false};
inline std::mutex mu;
inline std::vector<Event> events;
inline std::vector<std::string> names;
inline std::unordered_map<std::string, int64_t> nameIndex;
/** The recording thread's index (see Event::thread); pool workers and the queue thread set theirs. */
inline thread_local int threadIndex = -1;

inline bool enabled() { return active.load(std::memory_order_relaxed); }

inline uint64_t clockNs(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}
inline uint64_t now() { return clockNs(CLOCK_MONOTONIC); }
inline uint64_t threadCpu() { return clockNs(CLOCK_THREAD_CPUTIME_ID); }

inline void record(Kind kind, uint64_t a, uint64_t b, uint64_t c, int64_t cpu = 0, int64_t aux = 0) {
  std::lock_guard<std::mutex> lock(mu);
  events.push_back(Event{kind, threadIndex, a, b, c, cpu, aux});
}

inline int64_t nameOf(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu);
  auto [it, added] = nameIndex.emplace(name, static_cast<int64_t>(names.size()));
  if (added) names.push_back(name);
  return it->second;
}

/** Clears the recorded events and starts recording. */
inline void start() {
  std::lock_guard<std::mutex> lock(mu);
  events.clear();
  names.clear();
  nameIndex.clear();
  active.store(true, std::memory_order_relaxed);
}

/** Stops recording; the events stay until the next start(). */
inline void stop() { active.store(false, std::memory_order_relaxed); }

/** Records a pool task around fn when tracing (stolen: taken from another thread's block of the run). */
template <typename Fn>
inline void task(Fn&& fn, bool stolen = false) {
  if (!enabled()) {
    fn();
    return;
  }
  const uint64_t c0 = threadCpu(), t0 = now();
  fn();
  const uint64_t t1 = now();
  record(Task, 0, t0, t1, static_cast<int64_t>(threadCpu() - c0), stolen ? 1 : 0);
}

/** Wall time at the start of a sleep (0 when not tracing); pass it to slept() after the wait. */
inline uint64_t sleepStart() { return enabled() ? now() : 0; }
inline void slept(uint64_t t0) {
  if (t0 != 0 && enabled()) record(Sleep, 0, t0, now());
}

}  // namespace sn::trace
