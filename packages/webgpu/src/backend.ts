/// <reference types="@webgpu/types" />
import {
  BackendError,
  SPEC_VERSION,
  type Backend,
  type BackendInfo,
  type BackendMemory,
  type KernelAttrs,
  type KernelName,
} from '@stridenet/core';
import { kernels } from './kernels/index.js';
import { GpuRuntime, WebGpuHandle } from './runtime.js';

export type FeatureLevel = 'core' | 'compatibility';

export interface WebGpuBackendOptions {
  /** A GPU entry point to use instead of `navigator.gpu` or Node's `webgpu` package. */
  gpu?: GPU;
  /**
   * Node only: flags for `create()` of the `webgpu` package (Dawn), e.g. `['backend=opengles']`.
   * Default: the STRIDENET_WEBGPU_DAWN_FLAGS environment variable (comma-separated), else none.
   */
  dawnFlags?: readonly string[];
  /**
   * Adapter feature level. Dawn's OpenGL ES backend needs 'compatibility'.
   * Default: the STRIDENET_WEBGPU_FEATURE_LEVEL environment variable, else 'core'.
   */
  featureLevel?: FeatureLevel;
  powerPreference?: GPUPowerPreference;
  /** Bytes of freed buffers kept for reuse before they are destroyed. Default 512 MiB. */
  poolLimitBytes?: number;
}

/** Limits the shaders rely on: 8 storage bindings (BatchNormGrad), 256-thread workgroups, 8 KiB tiles. */
const NEEDED = {
  maxStorageBuffersPerShaderStage: 8,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 16,
  maxComputeWorkgroupStorageSize: 8192,
} as const;

// What a user of the published package needs; no repository path or monorepo command (issue #13).
const SETUP_HINT =
  'In Node, install the webgpu package (npm i webgpu@0.6.2: Dawn) and give it an adapter: a GPU with its driver ' +
  '(Vulkan on Linux, Metal on macOS, D3D12 on Windows), or without a GPU on Linux a software Vulkan driver, Mesa ' +
  'lavapipe (apt-get install mesa-vulkan-drivers; Dawn needs Mesa 24 or newer, on Debian 12 from bookworm-backports), ' +
  "or Mesa OpenGL ES with { dawnFlags: ['backend=opengles'], featureLevel: 'compatibility' } (or " +
  'STRIDENET_WEBGPU_DAWN_FLAGS=backend=opengles STRIDENET_WEBGPU_FEATURE_LEVEL=compatibility) and ' +
  'EGL_PLATFORM=surfaceless. In a browser, use one with WebGPU enabled (Chrome/Edge 113+, or chromium ' +
  '--enable-unsafe-webgpu).';

// Dawn's GPU object must outlive every device made from it (collecting it crashes the process), so
// one per flag set is kept for the life of the process.
const dawnInstances = new Map<string, GPU>();

function env(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.[name];
  return v === undefined || v === '' ? undefined : v;
}

async function nodeGpu(flags: readonly string[]): Promise<GPU> {
  const key = flags.join(',');
  const cached = dawnInstances.get(key);
  if (cached) return cached;
  let mod: { create(flags: string[]): GPU };
  try {
    const name = 'webgpu';
    mod = (await import(/* @vite-ignore */ name)) as typeof mod;
  } catch (e) {
    throw new BackendError(
      `webgpu: no navigator.gpu here and the 'webgpu' package (Dawn for Node) could not be loaded: ${(e as Error).message}. ${SETUP_HINT}`,
    );
  }
  const gpu = mod.create([...flags]);
  dawnInstances.set(key, gpu);
  return gpu;
}

function parseFeatureLevel(v: string | undefined, source: string): FeatureLevel {
  if (v === undefined) return 'core';
  if (v === 'core' || v === 'compatibility') return v;
  throw new BackendError(`webgpu: ${source} is '${v}' but expected 'core' or 'compatibility'`);
}

const count = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

/** Floats in the largest buffer a kernel binds, from its plan (checked before anything is allocated). */
function largestTensor(attrs: unknown): number {
  const a = attrs as { plan?: Record<string, unknown>; size?: number };
  const p = a.plan;
  if (!p) return a.size ?? 0;
  switch (p.kind) {
    case 'conv2d':
    case 'pool2d':
      return Math.max(count(p.inShape as number[]), count(p.outShape as number[]), p.filterShape ? count(p.filterShape as number[]) : 0);
    case 'matmul':
      return Math.max((p.m as number) * (p.n as number), (p.m as number) * (p.k as number), (p.k as number) * (p.n as number));
    case 'broadcast':
    case 'expand':
      return p.size as number;
    case 'channel':
      return (p.outer as number) * (p.channels as number) * (p.inner as number);
    case 'rows':
      return (p.rows as number) * (p.cols as number);
    case 'reduce':
      return (p.outer as number) * (p.reduce as number) * (p.inner as number);
    case 'concat':
      return (p.outer as number) * (p.blockSizes as number[]).reduce((x, y) => x + y, 0);
    case 'slice':
    case 'transpose':
    case 'pad':
      return Math.max(count(p.inShape as number[]), count(p.outShape as number[]));
    default:
      return 0;
  }
}

export class WebGpuBackend implements Backend<WebGpuHandle> {
  readonly name = 'webgpu';
  readonly specVersion = SPEC_VERSION;
  readonly kernels = kernels;

  /** @internal use createWebGpuBackend() */
  constructor(
    readonly runtime: GpuRuntime,
    private readonly notes: string[],
    /** Kept so Dawn's entry point lives as long as the backend (see dawnInstances). */
    readonly gpu: GPU,
    /** The adapter is a software (fallback) one such as llvmpipe or SwiftShader; `setBackend('auto')` passes over it. */
    readonly isFallbackAdapter = false,
  ) {}

  upload(values: Float32Array): WebGpuHandle {
    return this.runtime.upload(values);
  }

  read(handle: WebGpuHandle): Promise<Float32Array> {
    return this.runtime.read(handle);
  }

  free(handle: WebGpuHandle): void {
    handle.runtime.release(handle);
  }

  supports<K extends KernelName>(kernel: K, attrs: KernelAttrs<K>): true | string {
    const max = this.runtime.limits.maxComputeWorkgroupsPerDimension;
    const a = attrs as unknown as KernelAttrs<'Conv2D'>;
    if (kernel === 'Conv2D' || kernel === 'Conv2DBackpropInput' || kernel === 'Conv2DBackpropFilter') {
      const p = a.plan;
      const cols = kernel === 'Conv2D' ? p.batch * p.outHeight * p.outWidth : kernel === 'Conv2DBackpropInput' ? p.batch * p.inHeight * p.inWidth : 0;
      if (Math.ceil(cols / 64) > max) {
        return `batch * height * width = ${cols} exceeds ${max * 64} output cells per dispatch on this device (split the batch)`;
      }
      if (p.groups > max) return `groups = ${p.groups} exceeds ${max} (maxComputeWorkgroupsPerDimension)`;
    }
    if (kernel === 'MatMul') {
      const p = (attrs as unknown as KernelAttrs<'MatMul'>).plan;
      if (Math.ceil(p.n / 64) > max || Math.ceil(p.m / 64) > max) return `m = ${p.m}, n = ${p.n} exceed ${max * 64} per dispatch on this device`;
    }
    const largest = largestTensor(attrs);
    const limit = this.runtime.limits.maxStorageBufferBindingSize;
    if (largest * 4 > limit) {
      return `a tensor of ${largest} floats (${largest * 4} bytes) exceeds this device's maxStorageBufferBindingSize of ${limit} bytes`;
    }
    return true;
  }

  memory(): BackendMemory {
    const m = this.runtime.memory();
    // As the contract asks of pooling backends: totals include the pool; live = bytes - pooledBytes.
    return { buffers: m.liveBuffers + m.pooledBuffers, bytes: m.liveBytes + m.pooledBytes, pooledBytes: m.pooledBytes };
  }

  info(): BackendInfo {
    return { device: this.runtime.description, notes: [...this.notes, `${this.runtime.pipelineCount} pipelines compiled`] };
  }

  sync(): Promise<void> {
    return this.runtime.sync();
  }

  /** Destroys pooled (free) buffers; live tensors are untouched. */
  trim(): void {
    this.runtime.trim();
  }

  dispose(): void {
    this.runtime.dispose();
  }
}

/**
 * Starts a WebGPU device: `navigator.gpu` in browsers, the `webgpu` package (Dawn) in Node.
 * Rejects with a BackendError saying why and what to install when no adapter is available.
 */
export async function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const notes: string[] = [];
  const featureLevel = options.featureLevel ?? parseFeatureLevel(env('STRIDENET_WEBGPU_FEATURE_LEVEL'), 'STRIDENET_WEBGPU_FEATURE_LEVEL');
  if (featureLevel !== 'core' && featureLevel !== 'compatibility') {
    throw new BackendError(`webgpu: featureLevel is '${String(featureLevel)}' but expected 'core' or 'compatibility'`);
  }
  let gpu = options.gpu;
  let where = 'the provided GPU object';
  if (!gpu) {
    const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
    if (nav?.gpu) {
      gpu = nav.gpu;
      where = 'navigator.gpu';
    } else {
      const flags = options.dawnFlags ?? (env('STRIDENET_WEBGPU_DAWN_FLAGS')?.split(',').map((s) => s.trim()).filter(Boolean) ?? []);
      gpu = await nodeGpu(flags);
      where = `Dawn (webgpu package${flags.length ? `, flags ${flags.join(' ')}` : ''})`;
      if (flags.length) notes.push(`dawn flags: ${flags.join(' ')}`);
    }
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({
      featureLevel,
      ...(options.powerPreference ? { powerPreference: options.powerPreference } : {}),
    } as GPURequestAdapterOptions);
  } catch (e) {
    throw new BackendError(`webgpu: requestAdapter() on ${where} failed: ${(e as Error).message}. ${SETUP_HINT}`);
  }
  if (!adapter) {
    throw new BackendError(`webgpu: ${where} found no GPU adapter (featureLevel '${featureLevel}'). ${SETUP_HINT}`);
  }
  const al = adapter.limits;
  for (const [name, need] of Object.entries(NEEDED)) {
    const have = al[name as keyof typeof NEEDED];
    if (have < need) {
      throw new BackendError(`webgpu: the adapter's ${name} is ${have} but the stridenet shaders need at least ${need}`);
    }
  }
  const requiredLimits: Record<string, number> = {
    ...NEEDED,
    maxStorageBufferBindingSize: al.maxStorageBufferBindingSize,
    maxBufferSize: al.maxBufferSize,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: 'stridenet', requiredLimits });
  } catch (e) {
    throw new BackendError(`webgpu: requestDevice() failed: ${(e as Error).message}`);
  }
  const info = (adapter as { info?: GPUAdapterInfo }).info;
  const description =
    [info?.vendor, info?.architecture, info?.description].filter((s) => s && s.length > 0).join(' / ') || 'unknown adapter';
  notes.push(`featureLevel ${featureLevel}`);
  // GPUAdapterInfo.isFallbackAdapter is the current spelling; GPUAdapter.isFallbackAdapter the older one.
  const fallback = Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  if (fallback) notes.push('software (fallback) adapter');
  const runtime = new GpuRuntime(device, description, options.poolLimitBytes);
  return new WebGpuBackend(runtime, notes, gpu, fallback);
}
