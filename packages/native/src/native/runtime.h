// Shared runtime of the native backend: buffers, thread pool, kernel preparation contract.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#define SN_X86 1
// One build runs everywhere: GCC emits an AVX2 clone and a baseline clone, picked at load time (ifunc).
#define SN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SN_X86 0
#define SN_CLONES
#endif

namespace sn {

/** True when the CPU runs AVX-512F (checked once). */
bool cpuHasAvx512();

/** True when the CPU runs AVX2 and FMA (checked once). */
bool cpuHasAvx2();

/**
 * True when the CPU executes 512-bit vector operations at full width, so that 16-lane kernels can reach twice
 * the 8-lane FMA peak: AMD Zen 5 (family 0x1A) and later (isa-check measures 227 against 113 GFLOP/s there), and
 * Intel's Sapphire, Emerald and Granite Rapids server cores, which have two 512-bit FMA units on every part
 * (Emerald Rapids: 228 against 118). False on AMD Zen 4 (family 0x19), which runs them as two 256-bit halves (117
 * GFLOP/s on both paths), and on every other CPU: the avx512 path's hand-offs to 8-lane kernels were measured on
 * Zen 4 and stay as they are where nobody measured otherwise. The environment variable
 * STRIDENET_AVX512_FULL_WIDTH=0 or 1, read once, overrides the CPUID rule (for measuring both choices on one
 * machine). Only the avx512 path asks.
 */
bool cpuAvx512FullWidth();

/**
 * The CPU's L2 cache a core, in bytes (CPUID 0x80000006, which AMD and Intel both fill: 2 MiB on Emerald Rapids, 1 MiB
 * on Zen 4 and Zen 5), read once; 0 where unknown (not x86, or the leaf missing). Rules that size a kernel's working
 * set by it (conv/winograd-f4.inl f4RunShared, f4CachedActivations) keep their earlier choice at 0.
 */
int64_t cpuL2Bytes();

/**
 * Whether CPUID names an Intel CPU ("GenuineIntel"), read once: for hazards of Intel's cores that no cache size
 * describes (conv/winograd-f4.inl f4PassPlaneStride).
 */
bool cpuVendorIntel();

/** Instruction-set path of a runtime (isa.h has the kernels of each). */
enum class Isa : int { Portable = 0, Neon = 1, Avx2 = 2, Avx512 = 3 };

/**
 * Freed blocks of one runtime kept for reuse. Fresh pages cost a page fault each on first touch (about
 * 10 us apiece on a virtual machine: 40 ms for a 12 MB activation), and a training step frees and
 * allocates the same sizes every time, so blocks are recycled instead of going back to the OS.
 *
 * Small blocks too, of any size: malloc does not keep them warm. Freed, they merge into the top of its heap,
 * which it gives back to the OS past 128 KiB (M_TRIM_THRESHOLD), so the next pass's outputs faulted their pages
 * in again, and each request of 1 KiB or more first consolidated malloc's fast bins (s45, LeNet-5 b2 inference,
 * 1 thread: page faults, malloc_consolidate and unlink_chunk 11% of perf's samples; ResNet-20 b2 25-53 page
 * faults a pass). Nor does its per-thread cache serve blocks under 1 KiB here: aligned_alloc takes glibc 2.36's
 * memalign path, which bypasses it (the one consolidation a LeNet-5 pass had left came from there).
 */
class BlockCache {
 public:
  /** Blocks under this size come from malloc directly (a 64-byte block is the smallest the cache hands out). */
  static constexpr size_t kMinBytes = 64;
  /** From this size blocks are rounded up to whole pages (below it to 64 bytes). */
  static constexpr size_t kPageRoundBytes = 64 << 10;
  /** The cache never holds more than this; the largest blocks go first past it. */
  static constexpr size_t kMaxCachedBytes = size_t{1} << 30;
  /** Nor more than this in blocks under kPageRoundBytes: a freed small block past it goes back to malloc. */
  static constexpr size_t kMaxSmallCachedBytes = 16 << 20;

  BlockCache() { spare_.reserve(kSpareNodes); }
  ~BlockCache();
  /** 64-byte aligned block of at least `bytes` (rounded up to `*capacity`). */
  void* take(size_t bytes, size_t* capacity);
  void give(void* block, size_t capacity);
  size_t cachedBytes();

 private:
  /** Map nodes of taken blocks kept for the next give(): a node each time cost a heap block per freed buffer. */
  static constexpr size_t kSpareNodes = 64;

  std::mutex mu_;
  std::multimap<size_t, void*> free_;
  std::vector<std::multimap<size_t, void*>::node_type> spare_;
  size_t cached_ = 0;
  /** The part of cached_ in blocks under kPageRoundBytes. */
  size_t smallCached_ = 0;
};

/** False in AddressSanitizer builds, which free every block at once so a use after free is caught. */
bool blockCacheEnabled();

/**
 * Filters in the layouts the convolution kernels read (packed tiles, Winograd-transformed, flipped for
 * the input gradient), kept across calls while the filter buffer is unchanged: inference packs each
 * weight once, not once per call (for a 512-channel 3x3 layer on a 7x7 image, packing its 9.4 MB of
 * weights cost more than the convolution). Entries are keyed by buffer id and layout and carry the
 * buffer's write version; a stale one is rebuilt in place, a freed buffer's are dropped.
 */
/**
 * Floats of a packed filter, starting on a 64-byte boundary inside a plain (zeroed unless asked not to) block: the kernels'
 * full-vector loads of a packed row then never straddle two cache lines (malloc's 16-byte alignment split
 * every other 8-lane load of the channel-lane forward's 16-float rows: AVX2, 3x3/2 64 -> 128 at 56x56, 3%
 * slower). The block itself stays malloc's: an aligned allocator's multi-megabyte blocks took fresh pages
 * on every repack (twice the time of malloc's reused ones for 4.7 MB).
 */
class PackedFloats {
 public:
  /**
   * zeroed false: the packer writes every float, so the block is left as malloc gives it. A trainable filter is
   * repacked on every call: the memset took 3.4% of the samples of 8x64x56x56 -> 128 s2's avx512 forward (Zen 5,
   * perf record of isa-check --bench-only ... --columns forward, 1 thread), and clears 4.7 MB for ResNet-18's
   * 2x256x14x14 -> 512 s2 on the channel-lane kernel.
   */
  explicit PackedFloats(size_t n, bool zeroed = true) : storage_(new float[n + kPad]), offset_(padFor(storage_.get())), size_(n) {
    if (zeroed) std::fill(storage_.get(), storage_.get() + n + kPad, 0.f);
  }
  float* data() { return storage_.get() + offset_; }
  const float* data() const { return storage_.get() + offset_; }
  size_t size() const { return size_; }

 private:
  static constexpr size_t kPad = 64 / sizeof(float) - 1;
  static size_t padFor(const float* p) { return (64 - reinterpret_cast<uintptr_t>(p) % 64) % 64 / sizeof(float); }
  std::unique_ptr<float[]> storage_;
  size_t offset_;
  size_t size_;
};

class FilterCache {
 public:
  /** Past this the least recently used entries go. */
  static constexpr size_t kMaxBytes = size_t{256} << 20;

  using Packed = std::shared_ptr<const PackedFloats>;
  /** The `floats` floats of layout `layout` of buffer `id` at `version`, built by `pack` when missing or stale. */
  Packed get(uint64_t id, uint64_t version, uint64_t layout, size_t floats, const std::function<void(float*)>& pack, bool zeroed = true);
  /** Drops the entries of a freed buffer. */
  void forget(uint64_t id);
  size_t bytes();

 private:
  struct Entry {
    uint64_t version;
    Packed data;
    uint64_t used;
  };
  std::mutex mu_;
  std::map<std::pair<uint64_t, uint64_t>, Entry> entries_;
  size_t bytes_ = 0;
  uint64_t clock_ = 0;
};

/** Live buffers and bytes of one runtime (one backend instance), its block cache and packed filters. */
struct Counters {
  std::atomic<int64_t> buffers{0};
  std::atomic<int64_t> bytes{0};
  BlockCache cache;
  FilterCache filters;
};

/** A dense float32 buffer owned by native code; shared by handles and the jobs that use it. */

struct Buffer {
  Buffer(size_t n, std::shared_ptr<Counters> counters);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  float* data = nullptr;
  size_t size = 0;
  /** Bytes of the block behind data (for the cache). */
  size_t capacity = 0;
  /** Unique in the process: names this buffer's contents in the filter cache (an address may be reused). */
  const uint64_t id;
  /** Sequence number of the last queued job that writes this buffer (0: none). */
  std::atomic<uint64_t> readyAfter{0};
  /**
   * Changes with every kernel call that writes this buffer, queued or run on the calling thread (readyAfter
   * does not change for the latter), so it keys cached forms of the contents (FilterCache): 0 until written.
   */
  std::atomic<uint64_t> version{0};
  /**
   * Core's promise (Backend.markConstant: compile()'s folded weights) that the contents never change while the
   * buffer lives. Used only to pick algorithms whose rounding suits inference (Winograd on fewer channels);
   * cached forms stay keyed by version, so a marked buffer written anyway still computes correctly.
   */
  std::atomic<bool> constant{false};
  /** Set when a job writing this buffer failed; read() rejects with it. */
  std::string error;
  std::shared_ptr<Counters> counters;
};
using BufferPtr = std::shared_ptr<Buffer>;

/** A fresh Buffer::version for a write (unique in the process). */
uint64_t nextWriteVersion();

/** Error raised while validating kernel arguments; becomes a JavaScript Error on the calling thread. */
struct KernelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/**
 * Fixed set of workers plus the calling thread. Only the queue thread calls run(), so calls never nest.
 * Each thread owns a contiguous block of a run's tasks (the caller the first, worker i the (i+1)-th) and
 * takes the rest of another's block only when its own is done. Kernels number tasks image by image, so
 * a thread works on the same images in layer after layer and reads what it wrote from its own cache (on
 * AVX2 Zen 2 the tasks of a compiled ResNet-20 took 10-15% more CPU time when any thread took any task).
 * Tasks are claimed from counters tagged with the job's generation: a worker that wakes late (the
 * machine's other core may be busy for a whole time slice) finds the job over and takes nothing, and
 * run() returns as soon as every task is done, without waiting for such a worker to show up.
 * Workers and the caller check for work (or the last task) for about a microsecond before they sleep,
 * and nobody is notified who is not asleep: no futex call when the pool is already awake.
 */
class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  int size() const { return threads_; }
  /** Calls fn(task) for task in [0, tasks) across the pool; returns when all are done. */
  void run(int64_t tasks, const std::function<void(int64_t)>& fn);
  /** Splits [0, n) into contiguous ranges of at least `grain` items, one call per range. */
  void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);
  /**
   * Set by the queue thread while a job runs or more wait: then the workers, between parallel sections,
   * and run()'s caller, waiting for other threads' last tasks, keep checking for up to warmSpinNanos()
   * before they sleep. The next section of a queued model run follows within microseconds, and a sleeping
   * worker woken for it starts tens of microseconds late (a futex wake, on a VM an idle vCPU's exit too).
   */
  void setBusy(bool busy) { busy_.store(busy, std::memory_order_relaxed); }

 private:
  /** One thread's block of the current run's tasks. */
  struct alignas(64) Block {
    /** The run's tag, next unit and end unit in one word (runtime.cc). */
    std::atomic<uint64_t> next{0};
  };
  void workerLoop(int slot);
  /**
   * Takes the next unit of generation `gen`, from thread `slot`'s block first, if there is one; `stolen`
   * says whether it came from another thread's block.
   */
  bool claim(uint64_t gen, int slot, int64_t& unit, bool& stolen);
  bool claimFrom(Block& b, uint64_t gen, int64_t& unit);
  void finishTask(int64_t total);
  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t total_ = 0;
  std::unique_ptr<Block[]> blocks_;
  alignas(64) std::atomic<int64_t> finished_{0};
  /** Written under mu_; workers check it without the lock before they sleep. */
  alignas(64) std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  /** Workers blocked on wake_, and whether run() blocks on done_ (both under mu_): no waiter, no notify. */
  int sleepers_ = 0;
  bool callerWaiting_ = false;
  std::atomic<bool> busy_{false};
  /** True when done() held within the short spin, or within the warm spin while busy_. */
  bool spinFor(const std::function<bool()>& done);
};

/**
 * How many CPUs the calling thread may run on: Linux, its affinity mask (`taskset`, a cpuset); elsewhere the
 * hardware threads.
 */
int allowedCpus();

/** Whether pools give each thread its own block of a run's tasks (default true; off: one shared counter, for benchmarks). */
bool taskBlocks();
void setTaskBlocks(bool on);

/** How long warm threads check for work before they sleep (ThreadPool::setBusy); 0 turns the warm spin off. */
int64_t warmSpinNanos();
void setWarmSpinNanos(int64_t ns);
/** Whether the warm spin yields the core between checks (default true; for benchmarks). */
void setWarmSpinYields(bool yields);

/**
 * Checks done() for about a microsecond (the CPU's pause hint between checks) and returns it: a wait
 * that ends that soon need not sleep. Longer waits should sleep, so idle threads cost nothing.
 */
bool spinWait(const std::function<bool()>& done);

/** Arguments of one kernel call, as received from JavaScript. */
struct Args {
  std::string kernel;
  std::vector<BufferPtr> in;  // null where an optional input is absent
  std::vector<int32_t> enc;
  std::vector<double> num;
  /** The runtime's instruction-set path (a backend option, checked against the CPU when the runtime is created). */
  Isa isa = Isa::Portable;

  [[noreturn]] void fail(const std::string& what) const;
  /** Plan integer at `i`; fails when the encoding is shorter. */
  int64_t e(size_t i) const;
  /** Plan integer at `i` that must be >= lo. */
  int64_t atLeast(size_t i, int64_t lo, const char* name) const;
  double n(size_t i) const;
  void expectEncoded(size_t length) const;
  void expectInputs(size_t count) const;
  /** Input `i` must be present and hold exactly `size` floats. */
  const BufferPtr& input(size_t i, const char* name, int64_t size) const;
  bool has(size_t i) const { return i < in.size() && in[i] != nullptr; }
};

/** Product of dimensions with an overflow guard (sizes must fit a JavaScript typed array). */
int64_t checkedProduct(const Args& a, std::initializer_list<int64_t> dims, const char* what);

using Body = std::function<void(ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out)>;

/**
 * The output sizes of a kernel call, at most kMax, held in place: a vector cost every call a heap block (s45).
 * Kernels assign them as a list (`p.outSizes = {size}`).
 */
class OutSizes {
 public:
  static constexpr size_t kMax = 4;
  OutSizes() = default;
  OutSizes& operator=(std::initializer_list<int64_t> sizes) {
    if (sizes.size() > kMax) throw std::logic_error("a kernel call has at most 4 outputs");
    n_ = sizes.size();
    std::copy(sizes.begin(), sizes.end(), v_);
    return *this;
  }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  int64_t operator[](size_t i) const { return v_[i]; }
  const int64_t* begin() const { return v_; }
  const int64_t* end() const { return v_ + n_; }

 private:
  int64_t v_[kMax] = {};
  size_t n_ = 0;
};

/** What a kernel's prepare step returns: output sizes and the work to queue. */
struct Prepared {
  OutSizes outSizes;
  /** Indices of inputs written in place (optimizer state). */
  std::vector<int> writes;
  /**
   * Scalar operations the body does, about one per float it touches for element-wise kernels; -1 when
   * the kernel does not say. Small known work runs on the calling thread when the queue is idle.
   */
  int64_t work = -1;
  Body body;
};

using PrepareFn = Prepared (*)(const Args&);

// The prepare function of each kernel (src/native/kernels/<name>.cc) is declared in generated/spec.h.


}  // namespace sn
