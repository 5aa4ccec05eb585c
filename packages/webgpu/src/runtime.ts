/// <reference types="@webgpu/types" />
import common from './shaders/common.wgsl';
import gather from './shaders/gather.wgsl';
import packed from './shaders/packed.wgsl';
import pool from './shaders/pool.wgsl';
import adamStep from './shaders/adam-step.wgsl';
import sgdStep from './shaders/sgd-step.wgsl';
import specConstants from './shaders/generated/spec.wgsl';
import { BackendError } from '@stridenet/core';

// Numeric flags instead of the GPUBufferUsage / GPUMapMode globals: Node's `webgpu` package does not
// install those globals unless asked, and the values are fixed by the WebGPU specification.
const USAGE_MAP_READ = 0x0001;
const USAGE_COPY_SRC = 0x0004;
const USAGE_COPY_DST = 0x0008;
const USAGE_UNIFORM = 0x0040;
const USAGE_STORAGE = 0x0080;
const MAP_MODE_READ = 0x0001;

/**
 * Put before every shader: the shared helpers (shaders/common.wgsl) and the enum codes and plan offsets
 * generated from core's kernel spec (shaders/generated/spec.wgsl).
 */
const SHADER_PRELUDE = `${specConstants}\n${common}\n`;
/** Opt-in preludes put after SHADER_PRELUDE (DispatchSpec.prelude): shaders/packed.wgsl (Params, binding 0,
 * word()), shaders/gather.wgsl after it (bindings x and y, and the entry point that calls gather(i)), and the
 * optimizer steps the per-tensor and multi-tensor update shaders share (shaders/sgd-step.wgsl, adam-step.wgsl),
 * and the pooling shaders' plan binding and window index math (shaders/pool.wgsl). */
const EXTRA_PRELUDES = {
  packed: `${packed}\n`,
  gather: `${packed}\n${gather}\n`,
  sgd: `${sgdStep}\n`,
  adam: `${adamStep}\n`,
  pool: `${pool}\n`,
} as const;

/** Threads per workgroup of every one-dimensional (element-wise) shader. */
export const LINEAR_WORKGROUP = 256;
/** Bytes of one uniform block; every shader's Params struct fits in it. */
const UNIFORM_BYTES = 256;
/** Dispatches encoded before a flush is forced, so uniform blocks and deferred frees stay bounded. */
const MAX_PENDING_DISPATCHES = 512;
/** Pooled storage above this many bytes is destroyed instead of kept. */
const DEFAULT_POOL_LIMIT = 512 * 1024 * 1024;

/** A float32 tensor buffer on one WebGPU device. `length` is in floats; the buffer may be larger (size class). */
export class WebGpuHandle {
  /** @internal */
  freed = false;
  constructor(
    readonly runtime: GpuRuntime,
    readonly buffer: GPUBuffer,
    readonly length: number,
  ) {}
}

/** Pool size class: powers of two up to 4 KiB, then quarter steps between powers of two (at most 25 % slack). */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 4) * 4);
  if (b <= 4096) return 2 ** Math.ceil(Math.log2(b));
  const pow = 2 ** Math.floor(Math.log2(b));
  const step = pow / 4;
  return Math.ceil(b / step) * step;
}

export interface DispatchSpec {
  /** Shader file name (cache key) and its WGSL text. */
  shader: string;
  code: string;
  /** Entry point (default 'main'), for shaders with a specialised variant. */
  entryPoint?: string;
  /** Extra prelude: 'packed' for shaders that take packed.wgsl's Params, 'gather' for gather.wgsl's, 'sgd' / 'adam' for the optimizer steps, 'pool' for the pooling shaders. */
  prelude?: keyof typeof EXTRA_PRELUDES;
  /** Pipeline-overridable constants: one pipeline per distinct set. */
  constants?: Record<string, number>;
  /** Int32 words of the uniform Params struct, in declaration order (usually a plan's `encoded`). */
  ints: ArrayLike<number>;
  /** f32 words appended after `ints` (attributes such as alpha or lr). */
  floats?: ArrayLike<number>;
  /** Read-only storage bindings 1..n, then read-write bindings after them. */
  inputs: readonly GPUBuffer[];
  outputs: readonly GPUBuffer[];
  workgroups: readonly [number, number?, number?];
}

export interface RuntimeMemory {
  liveBuffers: number;
  liveBytes: number;
  pooledBuffers: number;
  pooledBytes: number;
}

/**
 * Owns one GPUDevice: pipeline cache, buffer pool, one open command encoder that collects every
 * dispatch until a read or sync submits it, and the device's error state.
 */
export class GpuRuntime {
  readonly limits: GPUSupportedLimits;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly layouts = new Map<string, GPUPipelineLayout & { bindGroupLayout: GPUBindGroupLayout }>();
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pool = new Map<number, GPUBuffer[]>();
  private readonly stagingPool = new Map<number, GPUBuffer[]>();
  private uniformFree: GPUBuffer[] = [];
  private uniformsInBatch: GPUBuffer[] = [];
  /** Buffers freed while the open encoder may still use them: pooled only after it is submitted. */
  private deferredFree: GPUBuffer[] = [];
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pendingDispatches = 0;
  private liveBuffers = 0;
  private liveBytes = 0;
  private pooledBuffers = 0;
  private pooledBytes = 0;
  private lostReason: string | null = null;
  private errors: string[] = [];
  private disposed = false;
  /** A 16-byte buffer bound where an optional input (bias) is absent. */
  readonly dummy: GPUBuffer;

  constructor(
    readonly device: GPUDevice,
    readonly description: string,
    private readonly poolLimit = DEFAULT_POOL_LIMIT,
  ) {
    this.limits = device.limits;
    this.dummy = device.createBuffer({ size: 16, usage: USAGE_STORAGE });
    void device.lost.then((info) => {
      if (!this.disposed) this.lostReason = `${info.reason}: ${info.message || 'no message'}`;
    });
    const onError = (ev: GPUUncapturedErrorEvent): void => {
      if (this.errors.length < 8) this.errors.push(`${ev.error.constructor?.name ?? 'GPUError'}: ${ev.error.message}`);
    };
    const target = device as unknown as {
      addEventListener?: (type: string, fn: (ev: GPUUncapturedErrorEvent) => void) => void;
      onuncapturederror: unknown;
    };
    if (typeof target.addEventListener === 'function') target.addEventListener('uncapturederror', onError);
    else target.onuncapturederror = onError;
  }

  /** Throws if the device is gone; called before any work is encoded. */
  check(): void {
    if (this.disposed) throw new BackendError('webgpu: the backend was disposed; create a new one with createWebGpuBackend()');
    if (this.lostReason !== null) {
      throw new BackendError(`webgpu: the GPU device was lost (${this.lostReason}); create a new backend with createWebGpuBackend()`);
    }
  }

  /** Throws the first uncaptured validation/out-of-memory error since the last check. */
  private throwErrors(): void {
    this.check();
    if (this.errors.length > 0) {
      const all = this.errors;
      this.errors = [];
      throw new BackendError(`webgpu: the device reported ${all.length} error(s): ${all.join(' | ')}`);
    }
  }

  // ---- buffers ----

  acquire(length: number): WebGpuHandle {
    this.check();
    const bytes = sizeClass(length * 4);
    if (bytes > this.limits.maxStorageBufferBindingSize) {
      throw new BackendError(
        `webgpu: a tensor of ${length} floats (${bytes} bytes) exceeds this device's maxStorageBufferBindingSize ${this.limits.maxStorageBufferBindingSize}`,
      );
    }
    const free = this.pool.get(bytes);
    let buffer = free?.pop();
    if (buffer) {
      this.pooledBuffers -= 1;
      this.pooledBytes -= bytes;
    } else {
      buffer = this.device.createBuffer({ size: bytes, usage: USAGE_STORAGE | USAGE_COPY_SRC | USAGE_COPY_DST });
    }
    this.liveBuffers += 1;
    this.liveBytes += bytes;
    return new WebGpuHandle(this, buffer, length);
  }

  upload(values: Float32Array): WebGpuHandle {
    const t = this.acquire(Math.max(values.length, 1));
    // Pooled buffers are never referenced by the open encoder (see release), so a queue write is ordered correctly.
    if (values.length > 0) this.device.queue.writeBuffer(t.buffer, 0, values.buffer, values.byteOffset, values.byteLength);
    return t;
  }

  release(t: WebGpuHandle): void {
    if (t.freed) throw new BackendError('webgpu: free() called twice on the same tensor buffer');
    t.freed = true;
    this.liveBuffers -= 1;
    this.liveBytes -= t.buffer.size;
    if (this.disposed) return;
    if (this.encoder !== null) this.deferredFree.push(t.buffer);
    else this.toPool(t.buffer);
  }

  private toPool(buffer: GPUBuffer): void {
    if (this.pooledBytes + buffer.size > this.poolLimit) {
      buffer.destroy();
      return;
    }
    let list = this.pool.get(buffer.size);
    if (!list) this.pool.set(buffer.size, (list = []));
    list.push(buffer);
    this.pooledBuffers += 1;
    this.pooledBytes += buffer.size;
  }

  memory(): RuntimeMemory {
    return { liveBuffers: this.liveBuffers, liveBytes: this.liveBytes, pooledBuffers: this.pooledBuffers, pooledBytes: this.pooledBytes };
  }

  // ---- pipelines ----

  private layoutFor(inputs: number, outputs: number): GPUPipelineLayout & { bindGroupLayout: GPUBindGroupLayout } {
    const key = `${inputs}/${outputs}`;
    let layout = this.layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: 'uniform' } }];
      for (let i = 0; i < inputs + outputs; i++) {
        entries.push({ binding: 1 + i, visibility: 4, buffer: { type: i < inputs ? 'read-only-storage' : 'storage' } });
      }
      const bindGroupLayout = this.device.createBindGroupLayout({ label: `stridenet ${key}`, entries });
      const pl = this.device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] });
      layout = Object.assign(pl, { bindGroupLayout });
      this.layouts.set(key, layout);
    }
    return layout;
  }

  private pipeline(spec: DispatchSpec): { pipeline: GPUComputePipeline; bindGroupLayout: GPUBindGroupLayout } {
    const layout = this.layoutFor(spec.inputs.length, spec.outputs.length);
    const constants = spec.constants ?? {};
    const entryPoint = spec.entryPoint ?? 'main';
    const key = `${spec.shader}:${entryPoint}|${spec.inputs.length}/${spec.outputs.length}|${Object.entries(constants)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      let module = this.modules.get(spec.shader);
      if (!module) {
        module = this.device.createShaderModule({ label: spec.shader, code: SHADER_PRELUDE + (spec.prelude ? EXTRA_PRELUDES[spec.prelude] : '') + spec.code });
        this.modules.set(spec.shader, module);
      }
      pipeline = this.device.createComputePipeline({
        label: key,
        layout,
        compute: { module, entryPoint, constants },
      });
      this.pipelines.set(key, pipeline);
    }
    return { pipeline, bindGroupLayout: layout.bindGroupLayout };
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  // ---- dispatch ----

  private uniform(ints: ArrayLike<number>, floats: ArrayLike<number> | undefined): GPUBuffer {
    const words = ints.length + (floats?.length ?? 0);
    if (words * 4 > UNIFORM_BYTES) throw new BackendError(`webgpu: ${words} parameter words exceed the ${UNIFORM_BYTES}-byte uniform block`);
    const data = new ArrayBuffer(Math.max(16, Math.ceil((words * 4) / 16) * 16));
    const i32 = new Int32Array(data);
    i32.set(ints);
    if (floats) new Float32Array(data).set(floats, ints.length);
    let buffer = this.uniformFree.pop();
    if (!buffer) buffer = this.device.createBuffer({ size: UNIFORM_BYTES, usage: USAGE_UNIFORM | USAGE_COPY_DST });
    // Recycled blocks are only those whose submission has completed, so this write cannot race a dispatch.
    this.device.queue.writeBuffer(buffer, 0, data);
    this.uniformsInBatch.push(buffer);
    return buffer;
  }

  dispatch(spec: DispatchSpec): void {
    this.check();
    const [x, y = 1, z = 1] = spec.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) {
      throw new BackendError(`webgpu: ${spec.shader} needs workgroups [${x},${y},${z}] but the device allows ${max} per dimension`);
    }
    const { pipeline, bindGroupLayout } = this.pipeline(spec);
    const uniform = this.uniform(spec.ints, spec.floats);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform, size: UNIFORM_BYTES } }];
    [...spec.inputs, ...spec.outputs].forEach((buffer, i) => entries.push({ binding: 1 + i, resource: { buffer } }));
    const bindGroup = this.device.createBindGroup({ layout: bindGroupLayout, entries });
    this.encoder ??= this.device.createCommandEncoder({ label: 'stridenet batch' });
    this.pass ??= this.encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(x, y, z);
    this.pendingDispatches += 1;
    if (this.pendingDispatches >= MAX_PENDING_DISPATCHES) this.flush();
  }

  /** One-dimensional grid for `n` threads of LINEAR_WORKGROUP, folded into y when x would exceed the limit. */
  grid(n: number): [number, number] {
    const groups = Math.ceil(n / LINEAR_WORKGROUP);
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= max) return [groups, 1];
    const y = Math.ceil(groups / max);
    return [Math.ceil(groups / y), y];
  }

  /** Workgroup-per-item grid (reductions): `n` workgroups folded into x and y. */
  itemGrid(n: number): [number, number] {
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (n <= max) return [n, 1];
    const y = Math.ceil(n / max);
    return [Math.ceil(n / y), y];
  }

  /** Submits every encoded dispatch (and `extra` commands) in one queue submission. */
  flush(extra?: (encoder: GPUCommandEncoder) => void): void {
    this.check();
    if (this.encoder === null && !extra) return;
    const encoder = this.encoder ?? this.device.createCommandEncoder({ label: 'stridenet batch' });
    if (this.pass) this.pass.end();
    extra?.(encoder);
    this.device.queue.submit([encoder.finish()]);
    this.encoder = null;
    this.pass = null;
    this.pendingDispatches = 0;
    for (const b of this.deferredFree) this.toPool(b);
    this.deferredFree = [];
    const uniforms = this.uniformsInBatch;
    this.uniformsInBatch = [];
    if (uniforms.length > 0) {
      void this.device.queue.onSubmittedWorkDone().then(
        () => {
          if (!this.disposed) for (const u of uniforms) this.uniformFree.push(u);
        },
        () => undefined,
      );
    }
  }

  async read(t: WebGpuHandle): Promise<Float32Array> {
    if (t.freed) throw new BackendError('webgpu: read() of a freed tensor buffer');
    const bytes = t.length * 4;
    const cls = sizeClass(bytes);
    const staging = this.stagingPool.get(cls)?.pop() ?? this.device.createBuffer({ size: cls, usage: USAGE_MAP_READ | USAGE_COPY_DST });
    this.flush((encoder) => encoder.copyBufferToBuffer(t.buffer, 0, staging, 0, bytes));
    try {
      await staging.mapAsync(MAP_MODE_READ, 0, bytes);
    } catch (e) {
      this.throwErrors();
      throw new BackendError(`webgpu: reading a buffer back failed: ${(e as Error).message}`);
    }
    const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    let list = this.stagingPool.get(cls);
    if (!list) this.stagingPool.set(cls, (list = []));
    if (list.length < 4) list.push(staging);
    else staging.destroy();
    this.throwErrors();
    return out;
  }

  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.throwErrors();
  }

  /** Destroys pooled buffers (live ones stay valid). */
  trim(): void {
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.pooledBuffers = 0;
    this.pooledBytes = 0;
  }

  dispose(): void {
    if (this.disposed) return;
    try {
      if (this.encoder) this.flush();
    } catch {
      // A lost device cannot submit; destroying it below is all that is left to do.
    }
    this.disposed = true;
    this.trim();
    this.device.destroy();
  }
}
