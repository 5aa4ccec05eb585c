// The command queue of one native backend instance: a thread that runs queued kernels in order, and the
// thread pool they use.
#pragma once

#include <atomic>
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
 * One backend instance: a worker thread that runs queued kernels in order, and the pool they use.
 * Kernel calls return at once; reads wait for the job that last wrote the buffer. The queue thread and
 * waiters for a job check for about a microsecond before they sleep (spinWait). Small kernels issued
 * while the queue is idle do not come here at all (addon.cc runs them on the calling thread).
 */
class Core {
 public:
  Core(int threads, Isa isa) : isa_(isa), pool_(threads), counters_(std::make_shared<Counters>()) {
    worker_ = std::thread([this] {
      trace::threadIndex = 0;
      loop();
    });
  }
  ~Core() { shutdown(); }

  ThreadPool& pool() { return pool_; }
  Isa isa() const { return isa_; }
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
