#include "runtime.h"

#include "trace.h"

#include <algorithm>
#if SN_X86
#include <cpuid.h>
#endif
#include <chrono>
#include <cstdlib>
#include <new>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

namespace sn {

namespace {
// AddressSanitizer builds skip the cache so that a use after free is still caught.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheBlocks = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kCacheBlocks = false;
#else
constexpr bool kCacheBlocks = true;
#endif
#else
constexpr bool kCacheBlocks = true;
#endif
}  // namespace

bool cpuHasAvx512() {
#if SN_X86
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return has;
#else
  return false;
#endif
}

bool cpuHasAvx2() {
#if SN_X86
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return has;
#else
  return false;
#endif
}

bool cpuVendorIntel() {
#if SN_X86
  static const bool intel = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return false;
    return ebx == 0x756e6547 && edx == 0x49656e69 && ecx == 0x6c65746e;  // "GenuineIntel"
  }();
  return intel;
#else
  return false;
#endif
}

bool cpuAvx512FullWidth() {
#if SN_X86
  static const bool full = [] {
    if (const char* env = std::getenv("STRIDENET_AVX512_FULL_WIDTH")) {
      if (env[0] == '0' && env[1] == 0) return false;
      if (env[0] == '1' && env[1] == 0) return true;
    }
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return false;
    const bool amd = ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163;  // "AuthenticAMD"
    const bool intel = cpuVendorIntel();
    if (!(amd || intel) || !__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    const unsigned base = (eax >> 8) & 0xf, family = base == 0xf ? base + ((eax >> 20) & 0xff) : base;
    if (amd) return family >= 0x1a;
    // Intel's server cores with two 512-bit FMA units on every part: Sapphire Rapids (model 0x8F), Emerald Rapids
    // (0xCF, measured: isa-check's FMA peak 228 GFLOP/s on avx512 against 118 on avx2) and Granite Rapids (0xAD,
    // 0xAE). Client cores (Ice Lake, Tiger Lake, Rocket Lake) have one, and Skylake-SP / Cascade Lake (0x55) one or
    // two by part, so they keep the split choices; so does Ice Lake-SP (0x6A, 0x6C), which nobody here has measured.
    const unsigned model = ((eax >> 4) & 0xf) | (base == 0x6 || base == 0xf ? ((eax >> 16) & 0xf) << 4 : 0);
    return family == 0x6 && (model == 0x8f || model == 0xcf || model == 0xad || model == 0xae);
  }();
  return full;
#else
  return false;
#endif
}

int64_t cpuL2Bytes() {
#if SN_X86
  static const int64_t bytes = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(0x80000000, &eax, &ebx, &ecx, &edx) || eax < 0x80000006) return int64_t{0};
    if (!__get_cpuid(0x80000006, &eax, &ebx, &ecx, &edx)) return int64_t{0};
    return static_cast<int64_t>(ecx >> 16) << 10;
  }();
  return bytes;
#else
  return 0;
#endif
}

bool blockCacheEnabled() { return kCacheBlocks; }

BlockCache::~BlockCache() {
  for (auto& [size, block] : free_) std::free(block);
}

void* BlockCache::take(size_t bytes, size_t* capacity) {
  // 64-byte alignment keeps vector loads on one cache line.
  size_t rounded = (bytes + 63) / 64 * 64;
  if (kCacheBlocks && rounded >= kMinBytes) {
    if (rounded >= kPageRoundBytes) rounded = (rounded + 4095) / 4096 * 4096;
    std::lock_guard<std::mutex> lock(mu_);
    // Best fit, but never a block more than 1.25x the request (the rest would be wasted).
    auto it = free_.lower_bound(rounded);
    if (it != free_.end() && it->first <= rounded + rounded / 4) {
      void* block = it->second;
      *capacity = it->first;
      cached_ -= it->first;
      if (it->first < kPageRoundBytes) smallCached_ -= it->first;
      if (spare_.size() < kSpareNodes) spare_.push_back(free_.extract(it));
      else free_.erase(it);
      return block;
    }
  }
  void* block = std::aligned_alloc(64, rounded);
  if (block == nullptr) {
    // Memory held by the cache may be what is missing.
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [size, b] : free_) std::free(b);
      free_.clear();
      cached_ = 0;
      smallCached_ = 0;
    }
    block = std::aligned_alloc(64, rounded);
    if (block == nullptr) throw std::bad_alloc();
  }
  *capacity = rounded;
  return block;
}

void BlockCache::give(void* block, size_t capacity) {
  if (!kCacheBlocks || capacity < kMinBytes || capacity > kMaxCachedBytes) {
    std::free(block);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (capacity < kPageRoundBytes) {
    if (smallCached_ + capacity > kMaxSmallCachedBytes) {
      std::free(block);
      return;
    }
    smallCached_ += capacity;
  }
  if (spare_.empty()) {
    free_.emplace(capacity, block);
  } else {
    auto node = std::move(spare_.back());
    spare_.pop_back();
    node.key() = capacity;
    node.mapped() = block;
    free_.insert(std::move(node));
  }
  cached_ += capacity;
  while (cached_ > kMaxCachedBytes) {
    auto last = std::prev(free_.end());
    cached_ -= last->first;
    if (last->first < kPageRoundBytes) smallCached_ -= last->first;
    std::free(last->second);
    free_.erase(last);
  }
}

size_t BlockCache::cachedBytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return cached_;
}

namespace {
std::atomic<uint64_t> nextBufferId{1};
std::atomic<uint64_t> writeVersions{1};
}  // namespace

uint64_t nextWriteVersion() { return writeVersions.fetch_add(1, std::memory_order_relaxed); }

Buffer::Buffer(size_t n, std::shared_ptr<Counters> c) : size(n), id(nextBufferId.fetch_add(1)), counters(std::move(c)) {
  // At least one element so data is never null.
  data = static_cast<float*>(counters->cache.take((n == 0 ? 1 : n) * sizeof(float), &capacity));
  counters->buffers.fetch_add(1);
  counters->bytes.fetch_add(static_cast<int64_t>(n * sizeof(float)));
}

Buffer::~Buffer() {
  counters->filters.forget(id);
  counters->cache.give(data, capacity);
  counters->buffers.fetch_sub(1);
  counters->bytes.fetch_sub(static_cast<int64_t>(size * sizeof(float)));
}

FilterCache::Packed FilterCache::get(uint64_t id, uint64_t version, uint64_t layout, size_t floats, const std::function<void(float*)>& pack,
                                     bool zeroed) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find({id, layout});
  if (it != entries_.end() && it->second.version == version && it->second.data->size() == floats) {
    it->second.used = ++clock_;
    return it->second.data;
  }
  if (it != entries_.end()) {
    bytes_ -= it->second.data->size() * sizeof(float);
    entries_.erase(it);
  }
  auto data = std::make_shared<PackedFloats>(floats, zeroed);
  pack(data->data());
  // The caller holds its own reference, so an entry evicted below stays alive until the kernel is done.
  bytes_ += floats * sizeof(float);
  entries_[{id, layout}] = Entry{version, data, ++clock_};
  while (bytes_ > kMaxBytes && entries_.size() > 1) {
    auto oldest = entries_.begin();
    for (auto e = entries_.begin(); e != entries_.end(); ++e)
      if (e->second.used < oldest->second.used) oldest = e;
    bytes_ -= oldest->second.data->size() * sizeof(float);
    entries_.erase(oldest);
  }
  return data;
}

void FilterCache::forget(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.lower_bound({id, 0}); it != entries_.end() && it->first.first == id;) {
    bytes_ -= it->second.data->size() * sizeof(float);
    it = entries_.erase(it);
  }
}

size_t FilterCache::bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

namespace {
/**
 * Checks done() a few times over about a microsecond (the CPU's pause hint between checks); true when it
 * held. Work that finishes or arrives that soon skips a futex sleep and wake; longer waits sleep. Spinning
 * longer (20 us, with or without yielding) was measured slower on this 2-core VM shared with other jobs:
 * the spinning thread took the core the awaited thread needed (bench/dispatch.ts --round-trip, 1 and
 * 2 threads, +20 to +60 us per 512K-float kernel). That is for a queue that may stay idle; inside a run of
 * queued jobs the pool spins longer (ThreadPool::spinFor).
 */
template <typename Done>
bool spinUntil(Done done) {
  for (int i = 0; i < 8; i++) {
    if (done()) return true;
    for (int k = 0; k < 8; k++) {
#if SN_X86
      __builtin_ia32_pause();
#elif defined(__aarch64__)
      asm volatile("yield");
#endif
    }
  }
  return done();
}
}  // namespace

bool spinWait(const std::function<bool()>& done) { return spinUntil(done); }

int allowedCpus() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
#endif
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

namespace {
// 200 us: a few times the gap between two kernels' sections and under the shortest conv sections of a
// compiled ResNet-20 slice; see the native README (threads) for the measurement.
std::atomic<int64_t> warmSpin{200000};
std::atomic<bool> yieldInSpin{true};
}  // namespace

int64_t warmSpinNanos() { return warmSpin.load(std::memory_order_relaxed); }
void setWarmSpinNanos(int64_t ns) { warmSpin.store(ns < 0 ? 0 : ns, std::memory_order_relaxed); }
void setWarmSpinYields(bool yields) { yieldInSpin.store(yields, std::memory_order_relaxed); }

bool ThreadPool::spinFor(const std::function<bool()>& done) {
  if (spinUntil(done)) return true;
  const int64_t limit = warmSpinNanos();
  if (limit == 0 || !busy_.load(std::memory_order_relaxed)) return false;
  const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(limit);
  while (busy_.load(std::memory_order_relaxed)) {
    if (spinUntil(done)) return true;
    if (std::chrono::steady_clock::now() >= until) break;
    // On a machine with more runnable threads than cores, the one this thread waits for may be queued
    // behind it: hand the core over (returns at once when nothing else is runnable here).
    if (yieldInSpin.load(std::memory_order_relaxed)) std::this_thread::yield();
  }
  return done();
}

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads), blocks_(new Block[static_cast<size_t>(threads_)]) {
  for (int i = 1; i < threads_; i++) {
    workers_.emplace_back([this, i] {
      trace::threadIndex = i;
      workerLoop(i);
    });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

namespace {
// A block's counter: run tag (the generation's low 32 bits) << 32 | next unit << 16 | end unit.
constexpr int kUnitBits = 16;
constexpr uint64_t kUnitMask = (uint64_t{1} << kUnitBits) - 1;
constexpr uint64_t kTagMask = (uint64_t{1} << (64 - 2 * kUnitBits)) - 1;
/** Most units (claimable pieces) of one run; a run with more tasks gives each unit several. */
constexpr int64_t kMaxUnits = static_cast<int64_t>(kUnitMask);
std::atomic<bool> threadBlocks{true};
}  // namespace

void setTaskBlocks(bool on) { threadBlocks.store(on, std::memory_order_relaxed); }
bool taskBlocks() { return threadBlocks.load(std::memory_order_relaxed); }

bool ThreadPool::claimFrom(Block& b, uint64_t gen, int64_t& unit) {
  uint64_t v = b.next.load(std::memory_order_acquire);
  for (;;) {
    // Tag, next and end in one word: a late thread's exchange fails once the run it knew is over.
    if ((v >> (2 * kUnitBits)) != (gen & kTagMask) || ((v >> kUnitBits) & kUnitMask) >= (v & kUnitMask)) return false;
    if (b.next.compare_exchange_weak(v, v + (uint64_t{1} << kUnitBits), std::memory_order_acq_rel)) {
      unit = static_cast<int64_t>((v >> kUnitBits) & kUnitMask);
      return true;
    }
  }
}

bool ThreadPool::claim(uint64_t gen, int slot, int64_t& unit, bool& stolen) {
  // Own block first, then the others' in turn (their next units, so a late thread still finds the rest of its own).
  for (int i = 0; i < threads_; i++) {
    const int s = slot + i < threads_ ? slot + i : slot + i - threads_;
    stolen = i > 0;
    if (claimFrom(blocks_[static_cast<size_t>(s)], gen, unit)) return true;
  }
  return false;
}

void ThreadPool::finishTask(int64_t total) {
  if (finished_.fetch_add(1, std::memory_order_acq_rel) + 1 == total) {
    // Under the lock, callerWaiting_ is read after the caller's last check of finished_ (no lost wake-up).
    std::lock_guard<std::mutex> lock(mu_);
    if (callerWaiting_) done_.notify_all();
  }
}

void ThreadPool::workerLoop(int slot) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int64_t)>* job;
    int64_t total;
    const bool fresh = spinFor([&] { return generation_.load(std::memory_order_acquire) != seen || stop_.load(std::memory_order_relaxed); });
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!fresh) {
        sleepers_++;
        const uint64_t t0 = trace::sleepStart();
        wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
        trace::slept(t0);
        sleepers_--;
      }
      if (stop_.load()) return;
      seen = generation_.load();
      job = job_;
      total = total_;
    }
    // The job stays alive while any of its tasks is unfinished, and only this generation's tasks are taken.
    int64_t t;
    bool stolen;
    while (claim(seen, slot, t, stolen)) {
      trace::task([&] { (*job)(t); }, stolen);
      finishTask(total);
    }
  }
}

void ThreadPool::run(int64_t tasks, const std::function<void(int64_t)>& fn) {
  if (tasks <= 0) return;
  if (threads_ == 1 || tasks == 1) {
    trace::task([&] {
      for (int64_t t = 0; t < tasks; t++) fn(t);
    });
    return;
  }
  const uint64_t traced = trace::enabled() ? trace::now() : 0;
  // Past kMaxUnits tasks each unit runs `per` consecutive ones.
  const int64_t per = (tasks + kMaxUnits - 1) / kMaxUnits;
  const int64_t units = (tasks + per - 1) / per;
  const std::function<void(int64_t)> grouped = per == 1 ? nullptr : std::function<void(int64_t)>([&](int64_t u) {
    for (int64_t t = u * per, e = std::min(tasks, t + per); t < e; t++) fn(t);
  });
  const std::function<void(int64_t)>& job = per == 1 ? fn : grouped;
  const bool blocks = taskBlocks();
  uint64_t gen;
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    gen = generation_.load() + 1;
    job_ = &job;
    total_ = units;
    finished_.store(0, std::memory_order_relaxed);
    for (int i = 0; i < threads_; i++) {
      // Thread i's share of the units, or (blocks off) every unit in the first block, taken in turn by all.
      const uint64_t b = blocks ? static_cast<uint64_t>(units * i / threads_) : 0;
      const uint64_t e = blocks ? static_cast<uint64_t>(units * (i + 1) / threads_) : i == 0 ? static_cast<uint64_t>(units) : 0;
      blocks_[static_cast<size_t>(i)].next.store((gen & kTagMask) << (2 * kUnitBits) | b << kUnitBits | e, std::memory_order_release);
    }
    generation_.store(gen, std::memory_order_release);
    wake = sleepers_ > 0;
  }
  if (wake) wake_.notify_all();
  int64_t t;
  bool stolen;
  while (claim(gen, 0, t, stolen)) {
    trace::task([&] { job(t); }, stolen);
    finishTask(units);
  }
  if (!spinFor([&] { return finished_.load(std::memory_order_acquire) == units; })) {
    std::unique_lock<std::mutex> lock(mu_);
    callerWaiting_ = true;
    const uint64_t t0 = trace::sleepStart();
    done_.wait(lock, [&] { return finished_.load(std::memory_order_acquire) == units; });
    trace::slept(t0);
    callerWaiting_ = false;
  }
  if (traced != 0 && trace::enabled()) trace::record(trace::Run, 0, traced, trace::now(), 0, tasks);
}

void ThreadPool::parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  int64_t chunks = grain > 0 ? (n + grain - 1) / grain : n;
  if (chunks > threads_) chunks = threads_;
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  const int64_t step = (n + chunks - 1) / chunks;
  run(chunks, [&](int64_t c) {
    int64_t b = c * step, e = b + step < n ? b + step : n;
    if (b < e) fn(b, e);
  });
}

void Args::fail(const std::string& what) const { throw KernelError(kernel + ": " + what); }

int64_t Args::e(size_t i) const {
  if (i >= enc.size()) fail("plan encoding has " + std::to_string(enc.size()) + " entries, expected more than " + std::to_string(i));
  return enc[i];
}

int64_t Args::atLeast(size_t i, int64_t lo, const char* name) const {
  int64_t v = e(i);
  if (v < lo) fail(std::string("plan ") + name + " is " + std::to_string(v) + ", expected >= " + std::to_string(lo));
  return v;
}

double Args::n(size_t i) const {
  if (i >= num.size()) fail("expected at least " + std::to_string(i + 1) + " numeric attributes, got " + std::to_string(num.size()));
  return num[i];
}

void Args::expectEncoded(size_t length) const {
  if (enc.size() < length) {
    fail("plan encoding has " + std::to_string(enc.size()) + " entries, expected " + std::to_string(length));
  }
}

void Args::expectInputs(size_t count) const {
  if (in.size() != count) fail("expected " + std::to_string(count) + " inputs, got " + std::to_string(in.size()));
}

const BufferPtr& Args::input(size_t i, const char* name, int64_t size) const {
  if (i >= in.size() || in[i] == nullptr) fail(std::string("input '") + name + "' is missing");
  if (static_cast<int64_t>(in[i]->size) != size) {
    fail(std::string("input '") + name + "' holds " + std::to_string(in[i]->size) + " floats but the plan expects " +
         std::to_string(size));
  }
  return in[i];
}

int64_t checkedProduct(const Args& a, std::initializer_list<int64_t> dims, const char* what) {
  int64_t p = 1;
  for (int64_t d : dims) {
    if (d < 0) a.fail(std::string(what) + " has a negative dimension " + std::to_string(d));
    if (d != 0 && p > (int64_t{1} << 40) / d) a.fail(std::string(what) + " is too large");
    p *= d;
  }
  return p;
}

}  // namespace sn
