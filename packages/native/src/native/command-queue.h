// The command queue of one native backend instance: a thread that runs queued kernels in order, and the
// thread pool they use.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "runtime.h"
#include "trace.h"

namespace sn {

/**
 * Where a runtime's kernels run (the backend's `dispatch` option). Queue: on its queue thread, so that
 * JavaScript issues the next kernels while they run (small kernels on an idle queue still run on the calling
 * thread, addon.cc). Caller: every kernel on the calling thread, before the call returns. Auto: Caller while
 * the process may run on one CPU only, Queue otherwise.
 */
enum class Dispatch { Auto, Queue, Caller };

/**
 * One backend instance: a worker thread that runs queued kernels in order, and the pool they use.
 * Kernel calls return at once; reads wait for the job that last wrote the buffer. The queue thread and
 * waiters for a job check for about a microsecond before they sleep (spinWait). Small kernels issued
 * while the queue is idle do not come here at all (addon.cc runs them on the calling thread).
 */
class Core {
 public:
  Core(int threads, Isa isa, Dispatch dispatch) : isa_(isa), dispatch_(dispatch), pool_(threads), counters_(std::make_shared<Counters>()) {
    worker_ = std::thread([this] {
      trace::threadIndex = 0;
      loop();
    });
  }
  ~Core() { shutdown(); }

  ThreadPool& pool() { return pool_; }
  Isa isa() const { return isa_; }
  Dispatch dispatch() const { return dispatch_; }

  /**
   * Whether the next kernel runs on the calling thread (when the queue is idle, addon.cc). Auto reads the
   * process's CPUs again at most every 10 ms (a system call), so pinning it after the backend was created
   * (`taskset -p`, as stridenet-bench does for 1 thread) takes effect. On one CPU the queue thread cannot run
   * beside JavaScript: each queued kernel cost a wake of the queue thread, a context switch to it and one
   * back, and a hop through the event loop for the wait (LeNet-5 b2 inference, 1 thread pinned to one CPU,
   * compiled, 4 interleaved rounds: 60-72 us a pass queued against 52-56 on the calling thread; ResNet-18 b1,
   * ResNet-20 b64 and LeNet-5 b256 equal within the host's spread). Where the process has more CPUs, the
   * queue stays: at 2 threads on 2 CPUs the calling thread was faster for LeNet-5 b2 but slower for ResNet-18
   * b1 at 32x32 (813-906 -> 903-931 us), whose JavaScript issues kernels while the first ones run.
   * JavaScript thread only.
   */
  bool onCaller() {
    if (dispatch_ != Dispatch::Auto) return dispatch_ == Dispatch::Caller;
    const auto now = std::chrono::steady_clock::now();
    if (now >= recheckAt_) {
      alone_ = allowedCpus() == 1;
      recheckAt_ = now + std::chrono::milliseconds(10);
    }
    return alone_;
  }
  /** Auto found the process on one CPU at the last onCaller(): no thread may spin between kernels then. */
  bool alone() const { return alone_; }
  const std::shared_ptr<Counters>& counters() const { return counters_; }
  bool disposed() const { return disposed_.load(std::memory_order_acquire); }

  uint64_t push(std::function<void()> job) {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t seq = submitted_.load(std::memory_order_relaxed) + 1;
    jobs_.push_back(std::move(job));
    submitted_.store(seq, std::memory_order_release);
    wake_.notify_one();
    return seq;
  }

  bool done(uint64_t seq) const { return completed_.load(std::memory_order_acquire) >= seq; }

  void waitFor(uint64_t seq) {
    if (spinWait([&] { return done(seq); })) return;
    std::unique_lock<std::mutex> lock(mu_);
    if (done(seq)) return;
    // Registered so that only the job it waits for wakes it, not every job before (a futex call on the
    // queue thread and a context switch on a busy core per job).
    const auto mine = waiting_.insert(seq);
    finished_.wait(lock, [&] { return done(seq); });
    waiting_.erase(mine);
  }

  uint64_t submitted() const { return submitted_.load(std::memory_order_acquire); }

  /**
   * Calls fn once job `seq` has run: on the queue thread right after that job, or at once on the calling
   * thread if it has already run. fn must be short and must not queue work (it runs between jobs).
   */
  void whenDone(uint64_t seq, std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!done(seq)) {
        callbacks_.emplace_back(seq, std::move(fn));
        return;
      }
    }
    fn();
  }

  /**
   * The JavaScript thread asked for results (sync, read, finish). If it issued at most kMaxWaitedRun
   * kernels between its last two waits, the program waits kernel by kernel, and the next kernel runs on the
   * calling thread if the queue is idle (addon.cc). A program that issues longer runs between its waits (a
   * model's forward pass, then a read) queues the first kernel of the next too: run here, it held up the
   * rest of the run's issue, and the queue thread, woken late for the second kernel, found no free core
   * while the pool's workers spun (LeNet-5 and ResNet-20 inference, 1 and 2 threads). JavaScript-thread only.
   */
  void noteWait() {
    waited_ = true;
    // A wait right after another (a sync, then a read) says nothing new about the program's runs.
    if (calls_ > 0) lastRun_ = calls_;
    calls_ = 0;
  }
  /**
   * Each kernel call asks once: whether it follows a wait of a program that waits kernel by kernel (see
   * noteWait).
   */
  bool takeWait() {
    const bool w = waited_ && lastRun_ <= kMaxWaitedRun;
    waited_ = false;
    calls_++;
    return w;
  }
  /** Longest run of kernels between two waits that still counts as waiting kernel by kernel. */
  static constexpr int64_t kMaxWaitedRun = 2;

  /**
   * True when every queued job has run. Only the JavaScript thread queues, so it stays true until that
   * thread queues again, and the finished jobs' writes are visible to it (acquire).
   */
  bool idle() const { return done(submitted_.load(std::memory_order_relaxed)); }

  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (disposed_.load()) return;
      disposed_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> job;
      const uint64_t ran = completed_.load(std::memory_order_relaxed);
      spinWait([&] { return submitted_.load(std::memory_order_acquire) != ran || disposed(); });
      {
        std::unique_lock<std::mutex> lock(mu_);
        const uint64_t t0 = jobs_.empty() ? trace::sleepStart() : 0;
        wake_.wait(lock, [&] { return disposed() || !jobs_.empty(); });
        trace::slept(t0);
        // Pending work still runs on dispose, so no reader waits forever.
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      pool_.setBusy(true);
      job();
      job = nullptr;  // drop buffer references before announcing completion
      bool wake;
      std::vector<std::function<void()>> ready;
      {
        std::lock_guard<std::mutex> lock(mu_);
        completed_.store(ran + 1, std::memory_order_release);
        pool_.setBusy(!jobs_.empty());
        wake = !waiting_.empty() && *waiting_.begin() <= ran + 1;
        for (auto it = callbacks_.begin(); it != callbacks_.end();) {
          if (it->first <= ran + 1) {
            ready.push_back(std::move(it->second));
            it = callbacks_.erase(it);
          } else {
            ++it;
          }
        }
      }
      if (wake) finished_.notify_all();
      for (auto& fn : ready) fn();
    }
  }

  Isa isa_;
  Dispatch dispatch_;
  /** onCaller()'s last reading of the process's CPUs (Auto only), and when to read them again. */
  bool alone_ = false;
  std::chrono::steady_clock::time_point recheckAt_{};
  ThreadPool pool_;
  std::shared_ptr<Counters> counters_;
  std::thread worker_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  std::deque<std::function<void()>> jobs_;
  /** Sequence numbers that blocked waitFor() calls wait for (under mu_). */
  std::multiset<uint64_t> waiting_;
  /** whenDone() callbacks by the job they wait for (under mu_). */
  std::deque<std::pair<uint64_t, std::function<void()>>> callbacks_;
  /** Written under mu_ (the condition variables' predicates), read without it. */
  std::atomic<uint64_t> submitted_{0};
  std::atomic<uint64_t> completed_{0};
  std::atomic<bool> disposed_{false};
  bool waited_ = false;
  /** Kernel calls since the last wait, and between the two waits before it (JavaScript thread only). */
  int64_t calls_ = 0;
  int64_t lastRun_ = 0;
};

}  // namespace sn
