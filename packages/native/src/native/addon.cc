// Node-API surface: runtimes (thread pool + command queue), handles, upload/read/free and kernel dispatch.
#include <napi.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "command-queue.h"
#include "gemm.h"
#include "generated/spec.h"
#include "isa.h"
#include "random.h"
#include "runtime.h"

namespace sn {
namespace {

// Type tags let the addon reject externals that are not its own (a forged or foreign handle).
constexpr napi_type_tag kHandleTag = {0x5d1f0e2a7c3b4a11ULL, 0x9e8f7a6b5c4d3e2fULL};
constexpr napi_type_tag kRuntimeTag = {0x1a2b3c4d5e6f7081ULL, 0x92a3b4c5d6e7f809ULL};

struct RuntimeBox {
  std::shared_ptr<Core> core;
};

struct HandleBox {
  BufferPtr buffer;
  std::shared_ptr<Core> core;
};

std::string describe(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_object: return "an object";
    case napi_function: return "a function";
    case napi_external: return "a foreign external";
    default: return "a value of another type";
  }
}

[[noreturn]] void throwType(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}

RuntimeBox* runtimeOf(const Napi::Value& v, const char* fn) {
  Napi::Env env = v.Env();
  if (!v.IsExternal() || !v.As<Napi::External<RuntimeBox>>().CheckTypeTag(&kRuntimeTag)) {
    throwType(env, std::string(fn) + ": runtime is " + describe(v) + ", expected a native runtime");
  }
  auto* box = v.As<Napi::External<RuntimeBox>>().Data();
  if (!box->core || box->core->disposed()) throw Napi::Error::New(env, std::string(fn) + ": the native backend was disposed");
  return box;
}

/**
 * The handle box behind `v`; `what()` names it in errors, and is called only to build one: run() checks every
 * input on every call, and building "Conv2D: inputs[1]" each time cost it a string (a heap block for longer
 * names) per input.
 */
template <typename What>
HandleBox* handleOf(const Napi::Value& v, const What& what) {
  Napi::Env env = v.Env();
  if (!v.IsExternal() || !v.As<Napi::External<HandleBox>>().CheckTypeTag(&kHandleTag)) {
    throwType(env, what() + " is " + describe(v) + ", expected a native tensor handle");
  }
  auto* box = v.As<Napi::External<HandleBox>>().Data();
  if (!box->buffer) throw Napi::Error::New(env, what() + " was already freed");
  if (box->core->disposed()) throw Napi::Error::New(env, what() + " belongs to a disposed native backend");
  return box;
}

HandleBox* handleOf(const Napi::Value& v, const char* what) {
  return handleOf(v, [what] { return std::string(what); });
}

void deleteHandleBox(napi_env, void* box, void*) { delete static_cast<HandleBox*>(box); }

/**
 * A new handle of `buffer`. Made with napi_create_external and a plain finalizer: Napi::External::New with a
 * callback allocated a block to hold it, one per kernel output.
 */
Napi::Value wrap(Napi::Env env, BufferPtr buffer, std::shared_ptr<Core> core) {
  auto* box = new HandleBox{std::move(buffer), std::move(core)};
  napi_value value;
  if (napi_create_external(env, box, deleteHandleBox, nullptr, &value) != napi_ok) {
    delete box;
    throw Napi::Error::New(env);
  }
  auto ext = Napi::External<HandleBox>(env, value);
  ext.TypeTag(&kHandleTag);
  return ext;
}

Napi::Value CreateRuntime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throwType(env, "createRuntime: threads must be a number");
  const int threads = info[0].As<Napi::Number>().Int32Value();
  if (threads < 1 || threads > 256) {
    throw Napi::RangeError::New(env, "createRuntime: threads is " + std::to_string(threads) + ", expected 1 to 256");
  }
  // Optional second argument: the ISA path by name ('auto' or absent: the best the CPU runs).
  Isa isa = bestIsa();
  if (info.Length() >= 2 && !info[1].IsUndefined()) {
    if (!info[1].IsString()) throwType(env, "createRuntime: isa is " + describe(info[1]) + ", expected a string");
    const std::string name = info[1].As<Napi::String>().Utf8Value();
    if (name != "auto") {
      bool known = false;
      for (Isa i : {Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Portable}) {
        if (name != isaName(i)) continue;
        known = true;
        isa = i;
      }
      if (!known) throwType(env, "createRuntime: isa is '" + name + "', expected 'auto', 'avx512', 'avx2', 'neon' or 'portable'");
      if (!isaSupported(isa)) {
        throw Napi::Error::New(env, "createRuntime: isa '" + name + "' is not available on this CPU or build; it runs: " + supportedIsas());
      }
    }
  }
  // Optional third argument: where kernels run ('auto' or absent, 'queue', 'caller'; Core's Dispatch).
  Dispatch dispatch = Dispatch::Auto;
  if (info.Length() >= 3 && !info[2].IsUndefined()) {
    if (!info[2].IsString()) throwType(env, "createRuntime: dispatch is " + describe(info[2]) + ", expected a string");
    const std::string name = info[2].As<Napi::String>().Utf8Value();
    if (name == "queue") dispatch = Dispatch::Queue;
    else if (name == "caller") dispatch = Dispatch::Caller;
    else if (name != "auto") throwType(env, "createRuntime: dispatch is '" + name + "', expected 'auto', 'queue' or 'caller'");
  }
  auto* box = new RuntimeBox{std::make_shared<Core>(threads, isa, dispatch)};
  auto ext = Napi::External<RuntimeBox>::New(env, box, [](Napi::Env, RuntimeBox* b) { delete b; });
  ext.TypeTag(&kRuntimeTag);
  return ext;
}

Napi::Value DisposeRuntime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<RuntimeBox>>().CheckTypeTag(&kRuntimeTag)) {
    throwType(env, "disposeRuntime: expected a native runtime");
  }
  auto* box = info[0].As<Napi::External<RuntimeBox>>().Data();
  if (box->core) box->core->shutdown();
  return env.Undefined();
}

Napi::Value Upload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RuntimeBox* rt = runtimeOf(info[0], "upload");
  if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throwType(env, "upload: values is " + describe(info[1]) + ", expected a Float32Array");
  }
  auto values = info[1].As<Napi::Float32Array>();
  auto buffer = std::make_shared<Buffer>(values.ElementLength(), rt->core->counters());
  if (values.ElementLength() > 0) std::memcpy(buffer->data, values.Data(), values.ElementLength() * sizeof(float));
  return wrap(env, std::move(buffer), rt->core);
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  HandleBox* box = handleOf(info[0], "free: handle");
  // Queued jobs hold their own references, so the memory goes once they are done.
  box->buffer.reset();
  return info.Env().Undefined();
}

Napi::Value Size(const Napi::CallbackInfo& info) {
  HandleBox* box = handleOf(info[0], "size: handle");
  return Napi::Number::New(info.Env(), static_cast<double>(box->buffer->size));
}

Napi::Value MarkConstant(const Napi::CallbackInfo& info) {
  HandleBox* box = handleOf(info[0], "markConstant: handle");
  box->buffer->constant.store(true);
  return info.Env().Undefined();
}

Napi::Float32Array copyOut(Napi::Env env, const Buffer& b) {
  auto out = Napi::Float32Array::New(env, b.size);
  if (b.size > 0) std::memcpy(out.Data(), b.data, b.size * sizeof(float));
  return out;
}

Napi::Value ReadSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  HandleBox* box = handleOf(info[0], "readSync: handle");
  box->core->noteWait();
  box->core->waitFor(box->buffer->readyAfter.load());
  if (!box->buffer->error.empty()) throw Napi::Error::New(env, box->buffer->error);
  return copyOut(env, *box->buffer);
}

/** Settles a promise on the JavaScript thread: resolves or rejects it. */
using Settle = std::function<void(Napi::Env, const Napi::Promise::Deferred&)>;

/** A promise waiting for a job (settleAfter), with what settles it. */
struct Pending {
  Napi::Promise::Deferred deferred;
  Settle settle;
};

void settleNow(Napi::Env env, Pending& p) {
  try {
    p.settle(env, p.deferred);
  } catch (const Napi::Error& e) {
    // Allocating the result failed: the caller sees it as the promise's rejection.
    p.deferred.Reject(e.Value());
  }
  // What it holds (a read's buffer) goes now: the thread-safe function, and with it `p`, is finalized only
  // on a later turn of the event loop, and a freed buffer's memory must be back by the time the promise's
  // continuations run (backend.test.ts).
  p.settle = nullptr;
}

void settleQueued(Napi::Env env, Napi::Function, Pending* p, void*) {
  // env is null when the environment is torn down with the call still queued: nothing to settle then.
  if (env != nullptr && p != nullptr) settleNow(env, *p);
}

using PendingFn = Napi::TypedThreadSafeFunction<Pending, void, settleQueued>;

/**
 * A promise that `fn` settles on the JavaScript thread once job `seq` of `core` has run (sync, read): at
 * once if it has. Otherwise the queue thread, right after that job, calls a Node-API thread-safe function
 * that settles it: one wake of the JavaScript thread's event loop. Waiting in libuv's thread pool (an
 * AsyncWorker) took two wakes in a row, the pool thread's, then the loop's: LeNet-5 b256 inference, a run
 * then `await sync()` took 0.40-0.50 ms longer at 2 threads than a run then the blocking finish(), on both
 * x86 paths (Zen 5, wall medians of 200 runs, 4 rounds under chrt -f 10, load ~23). Moving sync() here, builds
 * alternated process by process (4 rounds, load 30-33), 2 threads: avx2 eager 1.99-2.08 -> 1.87-1.94 ms,
 * compiled 1.80-2.00 -> 1.77-1.86; avx512 eager 1.58-1.73 -> 1.47-1.57, compiled 1.52-1.56 -> 1.45-1.50; 1
 * thread (cc1ec05 -> this, load ~23) avx2 eager 3.79-3.92 -> 2.87-2.93, compiled 3.70-3.87 -> 2.84-2.95
 * (real-time priority inflates the old hop: 2.7-3.1 ms at nice -n -10; at normal priority, load 23, the
 * builds ran within the noise). read() took the same path later: a run then `await y.data()`, main's build ->
 * this, 5 rounds at load 9.2-11.9 (5 more at load 6.5-7.5 agree), 2 threads: avx2 eager 2.25-2.34 -> 1.78-1.93
 * ms, compiled 2.18-2.31 -> 1.72-1.83; avx512 eager 1.72-1.98 -> 1.36-1.55, compiled 1.56-1.90 -> 1.34-1.39
 * (the blocking floor, a run then readSync: 1.66-1.77 and 1.31-1.38); 1 thread avx2 compiled 3.77-3.89 ->
 * 2.97-3.15, avx512 2.87-3.32 -> 2.22-2.46 (at nice -n -10 the old hop looked small there).
 *
 * The function is finalized on the JavaScript thread once released, or when its environment is torn down
 * first (process.exit() in a worker, a terminated worker) while the work still runs: from then on the queue
 * thread must not touch it, hence the flag, under a lock that the call and the finalizer both take
 * (teardown.test.ts). The callback holds no reference to the core: the queue thread must not be the one
 * that drops the last (~Core joins it).
 */
Napi::Promise settleAfter(Napi::Env env, Core& core, uint64_t seq, const char* name, Settle fn) {
  if (core.done(seq)) {
    // Nothing to wait for: no round trip through another thread, and no heap block for the pending promise.
    Pending now{Napi::Promise::Deferred::New(env), std::move(fn)};
    settleNow(env, now);
    return now.deferred.Promise();
  }
  std::unique_ptr<Pending> pending(new Pending{Napi::Promise::Deferred::New(env), std::move(fn)});
  Napi::Promise promise = pending->deferred.Promise();
  struct Link {
    std::mutex mu;
    bool alive = true;
    PendingFn fn;
  };
  auto link = std::make_shared<Link>();
  link->fn = PendingFn::New(env, name, 0, 1, pending.get(), [link](Napi::Env, void*, Pending* p) {
    {
      std::lock_guard<std::mutex> lock(link->mu);
      link->alive = false;
    }
    delete p;
  });
  pending.release();
  core.whenDone(seq, [link]() {
    std::lock_guard<std::mutex> lock(link->mu);
    if (!link->alive) return;
    link->fn.NonBlockingCall();
    link->fn.Release();
  });
  return promise;
}

/**
 * Resolves with a copy of the buffer once the job that last wrote it (when read() was called) has run; the
 * copy is made on the JavaScript thread as the promise settles. Rejects with the error of a failed kernel.
 */
Napi::Value Read(const Napi::CallbackInfo& info) {
  HandleBox* box = handleOf(info[0], "read: handle");
  box->core->noteWait();
  return settleAfter(info.Env(), *box->core, box->buffer->readyAfter.load(), "stridenet.read",
                     [buffer = box->buffer](Napi::Env env, const Napi::Promise::Deferred& deferred) {
                       if (!buffer->error.empty()) deferred.Reject(Napi::Error::New(env, buffer->error).Value());
                       else deferred.Resolve(copyOut(env, *buffer));
                     });
}

/** Resolves once every kernel queued before it has run. */
Napi::Value Sync(const Napi::CallbackInfo& info) {
  RuntimeBox* rt = runtimeOf(info[0], "sync");
  rt->core->noteWait();
  return settleAfter(info.Env(), *rt->core, rt->core->submitted(), "stridenet.sync",
                     [](Napi::Env env, const Napi::Promise::Deferred& deferred) { deferred.Resolve(env.Undefined()); });
}

/** Blocks the calling thread until every queued kernel of the runtime has run (profiling, tests). */
Napi::Value Finish(const Napi::CallbackInfo& info) {
  RuntimeBox* rt = runtimeOf(info[0], "finish");
  rt->core->noteWait();
  rt->core->waitFor(rt->core->submitted());
  return info.Env().Undefined();
}

Napi::Value Memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<RuntimeBox>>().CheckTypeTag(&kRuntimeTag)) {
    throwType(env, "memory: expected a native runtime");
  }
  auto* box = info[0].As<Napi::External<RuntimeBox>>().Data();
  auto out = Napi::Object::New(env);
  Counters& c = *box->core->counters();
  // BackendMemory's contract: `bytes` includes what the backend holds pooled (the block cache and the
  // packed filters), so live bytes = bytes - pooledBytes, as for wasm and WebGPU.
  const double pooled = static_cast<double>(c.cache.cachedBytes() + c.filters.bytes());
  out.Set("buffers", Napi::Number::New(env, static_cast<double>(c.buffers.load())));
  out.Set("bytes", Napi::Number::New(env, static_cast<double>(c.bytes.load()) + pooled));
  out.Set("pooledBytes", Napi::Number::New(env, pooled));
  return out;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("avx2", Napi::Boolean::New(env, isaSupported(Isa::Avx2)));
  out.Set("avx512", Napi::Boolean::New(env, isaSupported(Isa::Avx512)));
  auto isas = Napi::Array::New(env);
  uint32_t n = 0;
  for (Isa i : {Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Portable})
    if (isaSupported(i)) isas.Set(n++, Napi::String::New(env, isaName(i)));
  out.Set("isas", isas);
#if SN_X86
  out.Set("arch", Napi::String::New(env, "x86-64"));
#elif defined(__aarch64__)
  out.Set("arch", Napi::String::New(env, "arm64"));
#else
  out.Set("arch", Napi::String::New(env, "other"));
#endif
  out.Set("blockCache", Napi::Boolean::New(env, blockCacheEnabled()));
  out.Set("hardwareThreads", Napi::Number::New(env, std::thread::hardware_concurrency()));
  return out;
}

/**
 * Kernels whose prepare step reports at most this much work (about one scalar operation per float
 * touched) run on the calling thread when the queue is idle. Chosen by bench/dispatch.ts: below it the
 * hand-off costs more than the kernel.
 */
constexpr int64_t kInlineWork = 16 << 10;

/**
 * Runs a kernel body; a failure is recorded on the buffers it writes (read() rejects with it). The first
 * `outCount` of `written` are the outputs, the rest inputs updated in place. The data pointers go in vectors of
 * the running thread (the JavaScript thread or the queue thread; bodies do not nest), cleared, not freed, between
 * calls: two heap blocks a call before (s45).
 */
void runBody(ThreadPool& pool, const std::string& kernel, const Body& body, const std::vector<BufferPtr>& ins,
             const std::vector<BufferPtr>& written, size_t outCount) {
  thread_local std::vector<float*> ip, op;
  ip.clear();
  op.clear();
  for (auto& b : ins) ip.push_back(b ? b->data : nullptr);
  for (size_t i = 0; i < outCount; i++) op.push_back(written[i]->data);
  try {
    body(pool, ip, op);
  } catch (const std::exception& e) {
    for (auto& b : written) b->error = kernel + " failed: " + e.what();
  }
}

/**
 * Runs a prepared kernel body on the calling thread (where the runtime runs every kernel there, small work, or
 * the first call after a wait, on an idle queue) or queues it; `written` (the `outCount` outputs, then the inputs it updates) become ready after it.
 * `called`: the call's trace start (0: no trace). A queued job takes `body`, `ins` and `written` (moved, left
 * empty): it held copies of all three before (the inputs, the outputs, and `written`, which holds the outputs
 * again), three vector blocks and an atomic reference count per buffer on the JavaScript thread per call. Run
 * here, they stay with the caller (Run's scratch vectors). `kernel` must live as long as the program (the
 * registry's key): the job keeps a pointer, not a copy.
 */
void dispatch(Core& core, const std::string& kernel, Body& body, int64_t work, std::vector<BufferPtr>& ins,
              std::vector<BufferPtr>& written, size_t outCount, uint64_t called) {
  // Taken now, in call order, as later calls' filter keys read it (a write run here leaves readyAfter as it was).
  for (auto& b : written) b->version.store(nextWriteVersion());
  const int64_t traceName = called != 0 ? trace::nameOf(kernel) : -1;
  const bool afterWait = core.takeWait();
  if ((core.onCaller() || (work >= 0 && work <= kInlineWork) || afterWait) && core.idle()) {
    // Runs here, on an idle queue: every kernel where the runtime runs them on the calling thread
    // (Core::onCaller); small work, whose hand-off to the queue thread (a futex wake and a context switch on
    // each side) costs more than the kernel; and the first kernel after the program waited for results (sync,
    // read) when it waits kernel by kernel (Core::noteWait): queued, that kernel would pay the wake of the
    // queue thread and, at the next wait, a hop back to this one (through libuv's thread pool then: together
    // 60-150 us on a 2-vCPU VM; bench/pool-floor.ts). Nothing is queued, so the order of writes holds, and no
    // job is using the pool.
    const uint64_t t0 = called != 0 ? trace::now() : 0;
    // The pool stays warm as between queued jobs (ThreadPool::setBusy): a program that waits kernel by
    // kernel issues the next within tens of microseconds, and a worker asleep would start it late. Jobs
    // the queue thread runs set it again when they end. Not when the process has one CPU: a spinning
    // worker would take turns with this thread for it.
    core.pool().setBusy(!core.alone());
    runBody(core.pool(), kernel, body, ins, written, outCount);
    if (called != 0) trace::record(trace::Inline, 0, t0, trace::now(), 0, traceName);
  } else {
    // The job's sequence number, known before the push as only this (the JavaScript) thread queues; so are
    // readyAfter's readers (read, readSync), so storing it before the job is queued changes nothing they see.
    const uint64_t seq = core.submitted() + 1;
    for (auto& b : written) b->readyAfter.store(seq);
    Core* c = &core;
    const std::string* name = &kernel;
    const uint64_t pushed = core.push([c, name, body = std::move(body), ins = std::move(ins), written = std::move(written),
                                       outCount, called, traceName]() {
      const uint64_t t0 = called != 0 ? trace::now() : 0;
      runBody(c->pool(), *name, body, ins, written, outCount);
      if (called != 0) trace::record(trace::Job, called, t0, trace::now(), 0, traceName);
    });
    if (pushed != seq) std::abort();  // another thread queued: the invariant above broke
  }
  if (called != 0) trace::record(trace::Call, 0, called, trace::now(), 0, traceName);
}

/**
 * uniform(runtime, n, [key0, key1, counter0, counter1, counter2, counter3]) -> handle of n floats equal to core's
 * Rng.fromState({ key, counter }).uniform(n) (random.h), drawn on the queue: dropout's noise without the upload.
 */
Napi::Value Uniform(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint64_t called = trace::enabled() ? trace::now() : 0;
  RuntimeBox* rt = runtimeOf(info[0], "uniform");
  if (info.Length() < 3 || !info[1].IsNumber()) throwType(env, "uniform: n is " + describe(info[1]) + ", expected a number");
  const double n = info[1].As<Napi::Number>().DoubleValue();
  if (!(n >= 1 && n <= static_cast<double>(INT32_MAX)) || n != static_cast<double>(static_cast<int64_t>(n))) {
    throw Napi::RangeError::New(env, "uniform: n is " + std::to_string(n) + ", expected an integer from 1 to 2^31 - 1");
  }
  if (!info[2].IsArray() || info[2].As<Napi::Array>().Length() != 6) {
    throwType(env, "uniform: state is " + describe(info[2]) + ", expected [key0, key1, counter0, counter1, counter2, counter3]");
  }
  auto words = info[2].As<Napi::Array>();
  uint32_t w[6];
  for (uint32_t i = 0; i < 6; i++) {
    Napi::Value v = words.Get(i);
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d))) {
      throwType(env, "uniform: state[" + std::to_string(i) + "] is " + describe(v) + ", expected a uint32");
    }
    w[i] = static_cast<uint32_t>(d);
  }
  const PhiloxState state{{w[0], w[1]}, {w[2], w[3], w[4], w[5]}};
  const int64_t size = static_cast<int64_t>(n);
  std::vector<BufferPtr> outs;
  try {
    outs.push_back(std::make_shared<Buffer>(static_cast<size_t>(size), rt->core->counters()));
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "uniform: out of memory allocating the output");
  }
  Body body = [state, size](ThreadPool& pool, const std::vector<float*>&, const std::vector<float*>& out) {
    philoxUniform(pool, state, out[0], size);
  };
  // About 10 simple operations a value (random.cc).
  BufferPtr out = outs[0];
  static const std::string kName = "Uniform";
  std::vector<BufferPtr> ins;
  dispatch(*rt->core, kName, body, 10 * size, ins, outs, 1, called);
  return wrap(env, std::move(out), rt->core);
}

/**
 * Run's vectors and name, one set for each thread that calls it (the main JavaScript thread, a worker's),
 * emptied but not freed after each call: the arguments, the outputs and the buffers written cost six heap
 * blocks a call before (s45). A queued job takes the inputs and `written` away (dispatch); they grow again on
 * the next call. A call that finds the set in use (run() entered again from a getter of its argument arrays)
 * takes its own. With the other per-call blocks gone (runBody's vectors, OutSizes, wrap's, the block cache's map
 * nodes), mallocs a pass of compiled inference at batch 2 (avx2, 1 thread, taskset -c 0; perf stat on a uprobe on
 * libc's malloc): LeNet-5 117 -> 48, ResNet-20 420 -> 188; time per pass equal within the host's spread (Emerald
 * Rapids, 6-12 process-alternated rounds at load 3-5).
 */
struct RunScratch {
  Args args;
  std::vector<BufferPtr> outs, written;
  bool busy = false;
};

Napi::Value runWith(const Napi::CallbackInfo& info, RunScratch& scratch);

/** run(kernel, inputs[], encoded Int32Array, numbers[]) -> handle | handle[] | undefined. */
Napi::Value Run(const Napi::CallbackInfo& info) {
  thread_local RunScratch shared;
  RunScratch own;
  RunScratch& s = shared.busy ? own : shared;
  // Drops the call's buffer references as it returns or throws, as the vectors' destructors did.
  struct Release {
    RunScratch& s;
    ~Release() {
      s.args.in.clear();
      s.outs.clear();
      s.written.clear();
      s.busy = false;
    }
  } release{s};
  s.busy = true;
  return runWith(info, s);
}

Napi::Value runWith(const Napi::CallbackInfo& info, RunScratch& scratch) {
  Napi::Env env = info.Env();
  const uint64_t called = trace::enabled() ? trace::now() : 0;
  if (info.Length() < 4 || !info[0].IsString()) throwType(env, "run: kernel name must be a string");
  Args& args = scratch.args;
  {
    // Into the string's own block, as Utf8Value() does into a new one.
    size_t length = 0;
    if (napi_get_value_string_utf8(env, info[0], nullptr, 0, &length) != napi_ok) throw Napi::Error::New(env);
    args.kernel.resize(length);
    if (napi_get_value_string_utf8(env, info[0], &args.kernel[0], length + 1, &length) != napi_ok) throw Napi::Error::New(env);
  }
  args.num.clear();
  auto it = kernelRegistry().find(args.kernel);
  if (it == kernelRegistry().end()) throw Napi::Error::New(env, "run: unknown kernel '" + args.kernel + "'");
  if (!info[1].IsArray()) throwType(env, args.kernel + ": inputs is " + describe(info[1]) + ", expected an array");
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throwType(env, args.kernel + ": plan encoding is " + describe(info[2]) + ", expected an Int32Array");
  }
  if (!info[3].IsArray()) throwType(env, args.kernel + ": attributes is " + describe(info[3]) + ", expected an array of numbers");
  auto inputs = info[1].As<Napi::Array>();
  args.in.reserve(inputs.Length());
  std::shared_ptr<Core> core;
  for (uint32_t i = 0; i < inputs.Length(); i++) {
    Napi::Value v = inputs.Get(i);
    if (v.IsNull() || v.IsUndefined()) {
      args.in.push_back(nullptr);
      continue;
    }
    HandleBox* box = handleOf(v, [&] { return args.kernel + ": inputs[" + std::to_string(i) + "]"; });
    if (core && core != box->core) {
      throw Napi::Error::New(env, args.kernel + ": inputs[" + std::to_string(i) + "] belongs to another native backend");
    }
    core = box->core;
    args.in.push_back(box->buffer);
  }
  if (!core) throw Napi::Error::New(env, args.kernel + ": expected at least one tensor input");
  args.isa = core->isa();
  auto enc = info[2].As<Napi::Int32Array>();
  args.enc.assign(enc.Data(), enc.Data() + enc.ElementLength());
  auto nums = info[3].As<Napi::Array>();
  args.num.reserve(nums.Length());
  for (uint32_t i = 0; i < nums.Length(); i++) {
    Napi::Value v = nums.Get(i);
    if (!v.IsNumber()) throwType(env, args.kernel + ": attributes[" + std::to_string(i) + "] is " + describe(v) + ", expected a number");
    args.num.push_back(v.As<Napi::Number>().DoubleValue());
  }

  Prepared prep;
  std::vector<BufferPtr>& outs = scratch.outs;
  try {
    prep = it->second(args);
    outs.reserve(prep.outSizes.size());
    for (int64_t n : prep.outSizes) outs.push_back(std::make_shared<Buffer>(static_cast<size_t>(n), core->counters()));
  } catch (const KernelError& e) {
    throw Napi::Error::New(env, e.what());
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, args.kernel + ": out of memory allocating the output");
  }

  std::vector<BufferPtr>& written = scratch.written;
  written.reserve(outs.size() + prep.writes.size());
  written.assign(outs.begin(), outs.end());
  for (int w : prep.writes) written.push_back(args.in[w]);
  dispatch(*core, it->first, prep.body, prep.work, args.in, written, outs.size(), called);

  if (outs.empty()) return env.Undefined();
  if (outs.size() == 1) return wrap(env, outs[0], core);
  auto arr = Napi::Array::New(env, outs.size());
  for (size_t i = 0; i < outs.size(); i++) arr.Set(static_cast<uint32_t>(i), wrap(env, outs[i], core));
  return arr;
}

/**
 * trace(true) clears and starts the timeline (trace.h); trace(false) stops it and returns
 * { names: string[], events: Float64Array } with 7 columns per event: kind, thread, a, b, c (microseconds
 * since the first event), cpu (microseconds), aux.
 */
Napi::Value Trace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBoolean()) throwType(env, "trace: on must be true or false");
  if (info[0].As<Napi::Boolean>().Value()) {
    trace::start();
    return env.Undefined();
  }
  trace::stop();
  std::lock_guard<std::mutex> lock(trace::mu);
  uint64_t origin = UINT64_MAX;
  for (const auto& e : trace::events) origin = std::min(origin, e.kind == trace::Job ? e.a : e.b);
  auto table = Napi::Float64Array::New(env, trace::events.size() * 7);
  const auto us = [&](uint64_t t) { return t == 0 ? 0.0 : static_cast<double>(t - origin) / 1e3; };
  for (size_t i = 0; i < trace::events.size(); i++) {
    const auto& e = trace::events[i];
    double* row = table.Data() + i * 7;
    row[0] = e.kind;
    row[1] = e.thread;
    row[2] = us(e.a);
    row[3] = us(e.b);
    row[4] = us(e.c);
    row[5] = static_cast<double>(e.cpu) / 1e3;
    row[6] = static_cast<double>(e.aux);
  }
  auto names = Napi::Array::New(env, trace::names.size());
  for (size_t i = 0; i < trace::names.size(); i++) names.Set(static_cast<uint32_t>(i), Napi::String::New(env, trace::names[i]));
  auto out = Napi::Object::New(env);
  out.Set("names", names);
  out.Set("events", table);
  return out;
}

/** warmSpin(microseconds?, yields?) -> the warm spin of every pool before the change (runtime.h); for benchmarks. */
Napi::Value WarmSpin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double before = static_cast<double>(warmSpinNanos()) / 1e3;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    const double us = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
    if (!info[0].IsNumber() || !(us >= 0 && us <= 1e6)) {
      const std::string got = info[0].IsNumber() ? info[0].ToString().Utf8Value() : describe(info[0]);
      throwType(env, "warmSpin: microseconds is " + got + ", expected a number from 0 to 1e6");
    }
    setWarmSpinNanos(static_cast<int64_t>(us * 1e3));
  }
  if (info.Length() > 1 && info[1].IsBoolean()) setWarmSpinYields(info[1].As<Napi::Boolean>().Value());
  return Napi::Number::New(env, before);
}

/** taskBlocks(on?) -> whether pools gave each thread its own block of tasks before the change (runtime.h); for benchmarks. */
Napi::Value TaskBlocks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool before = taskBlocks();
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsBoolean()) throwType(env, "taskBlocks: on is " + describe(info[0]) + ", expected true or false");
    setTaskBlocks(info[0].As<Napi::Boolean>().Value());
  }
  return Napi::Boolean::New(env, before);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("warmSpin", Napi::Function::New(env, WarmSpin));
  exports.Set("taskBlocks", Napi::Function::New(env, TaskBlocks));
  exports.Set("trace", Napi::Function::New(env, Trace));
  exports.Set("createRuntime", Napi::Function::New(env, CreateRuntime));
  exports.Set("disposeRuntime", Napi::Function::New(env, DisposeRuntime));
  exports.Set("upload", Napi::Function::New(env, Upload));
  exports.Set("free", Napi::Function::New(env, Free));
  exports.Set("size", Napi::Function::New(env, Size));
  exports.Set("markConstant", Napi::Function::New(env, MarkConstant));
  exports.Set("read", Napi::Function::New(env, Read));
  exports.Set("readSync", Napi::Function::New(env, ReadSync));
  exports.Set("sync", Napi::Function::New(env, Sync));
  exports.Set("finish", Napi::Function::New(env, Finish));
  exports.Set("memory", Napi::Function::New(env, Memory));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("run", Napi::Function::New(env, Run));
  exports.Set("uniform", Napi::Function::New(env, Uniform));
  return exports;
}

}  // namespace
}  // namespace sn

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return sn::Init(env, exports); }

NODE_API_MODULE(stridenet_native, InitAddon)
