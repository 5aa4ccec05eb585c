import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import {
  KNOWN_BACKEND_NAMES,
  backendEntry,
  listBackends,
  probeBackend,
  registerBackend,
  startAutoBackend,
  startBackend,
  type PackageImporter,
} from './backend-registry.js';
import { getBackend, setBackend } from './engine.js';
import { ArgumentError, BackendError } from './errors.js';
import type { AnyBackend } from './spec/index.js';

/** A stand-in backend package: records the options each start got and whether it was disposed. */
function fakePackage(name: string, opts: { fails?: string; fallback?: boolean } = {}) {
  const starts: object[] = [];
  const disposed: string[] = [];
  const factory = async (o: object) => {
    starts.push(o);
    if (opts.fails) throw new Error(`${opts.fails}\nsecond line`);
    return {
      name,
      isFallbackAdapter: opts.fallback ?? false,
      info: () => ({ device: `${name} device`, ...('threads' in o ? { threads: o.threads as number } : {}) }),
      dispose: () => void disposed.push(name),
    } as unknown as AnyBackend;
  };
  return { factory, starts, disposed };
}

const FACTORIES: Record<string, string> = {
  '@stridenet/native': 'createNativeBackend',
  '@stridenet/wasm': 'createWasmBackend',
  '@stridenet/webgpu': 'createWebGpuBackend',
  '@stridenet/cpu-js': 'createCpuBackend',
};

function importerOf(packages: Record<string, ReturnType<typeof fakePackage> | undefined>): PackageImporter {
  return async (pkg) => {
    const p = packages[pkg];
    if (!p) throw new Error(`Cannot find package '${pkg}'`);
    return { [FACTORIES[pkg]!]: p.factory };
  };
}

describe('the backend table', () => {
  it('lists the published backends, auto order native, webgpu, wasm, cpu-js', () => {
    expect([...KNOWN_BACKEND_NAMES]).toEqual(['native', 'wasm', 'webgpu', 'cpu-js']);
    expect(listBackends().slice(0, 4)).toEqual(['native', 'webgpu', 'wasm', 'cpu-js']);
    expect(backendEntry('wasm')).toMatchObject({ packageName: '@stridenet/wasm', threaded: true });
    expect(backendEntry('webgpu')).toMatchObject({ packageName: '@stridenet/webgpu', threaded: false });
  });

  it('names the valid backends for an unknown name', async () => {
    expect(() => backendEntry('cuda')).toThrow(ArgumentError);
    await expect(startBackend('cuda')).rejects.toThrow(/backend: name is 'cuda' but expected one of native, webgpu, wasm, cpu-js/);
  });

  it('passes threads only to the backends that run a pool', async () => {
    const wasm = fakePackage('wasm');
    const cpu = fakePackage('cpu-js');
    const importer = importerOf({ '@stridenet/wasm': wasm, '@stridenet/cpu-js': cpu });
    await startBackend('wasm', { threads: 3, importer });
    await startBackend('cpu-js', { threads: 3, importer });
    await startBackend('wasm', { importer });
    expect(wasm.starts).toEqual([{ threads: 3 }, {}]);
    expect(cpu.starts).toEqual([{}]);
  });

  it("passes factoryOptions to the package's factory, threads taking precedence", async () => {
    const native = fakePackage('native');
    const importer = importerOf({ '@stridenet/native': native });
    await startBackend('native', { threads: 2, importer, factoryOptions: { isa: 'avx2', threads: 7 } });
    await startBackend('native', { importer, factoryOptions: { isa: 'portable' } });
    expect(native.starts).toEqual([{ isa: 'avx2', threads: 2 }, { isa: 'portable' }]);
  });

  it('says why a backend cannot start: not installed, no factory, or the first line of its error', async () => {
    const broken = fakePackage('native', { fails: 'addon not built' });
    const importer: PackageImporter = async (pkg) => {
      if (pkg === '@stridenet/native') return { createNativeBackend: broken.factory };
      if (pkg === '@stridenet/wasm') return { somethingElse: 1 };
      throw new Error(`Cannot find package '${pkg}'\nRequire stack: ...`);
    };
    await expect(startBackend('native', { importer })).rejects.toThrow(new BackendError('addon not built'));
    await expect(startBackend('wasm', { importer })).rejects.toThrow('@stridenet/wasm does not export createWasmBackend()');
    await expect(startBackend('webgpu', { importer })).rejects.toThrow(
      "not installed (npm i @stridenet/webgpu): Cannot find package '@stridenet/webgpu'",
    );
  });
});

describe('probeBackend', () => {
  it('starts a threaded backend on one thread, reads its info and disposes it', async () => {
    const native = fakePackage('native');
    const p = await probeBackend('native', { importer: importerOf({ '@stridenet/native': native }) });
    expect(native.starts).toEqual([{ threads: 1 }]);
    expect(native.disposed).toEqual(['native']);
    expect(p).toEqual({ name: 'native', packageName: '@stridenet/native', installed: true, usable: true, info: { device: 'native device', threads: 1 } });
  });

  it('reports not installed and installed-but-failing apart, without throwing', async () => {
    const importer = importerOf({ '@stridenet/native': fakePackage('native', { fails: 'no AVX2' }) });
    expect(await probeBackend('wasm', { importer })).toMatchObject({ installed: false, usable: false, reason: expect.stringMatching(/^not installed \(npm i @stridenet\/wasm\)/) });
    expect(await probeBackend('native', { importer })).toMatchObject({ installed: true, usable: false, reason: 'no AVX2' });
  });

  it("says when auto would pass over a running backend (a software GPU adapter)", async () => {
    const gpu = fakePackage('webgpu', { fallback: true });
    const p = await probeBackend('webgpu', { importer: importerOf({ '@stridenet/webgpu': gpu }) });
    expect(p.usable).toBe(true);
    expect(p.autoSkip).toMatch(/software \(fallback\) adapter \(webgpu device\)/);
    expect(gpu.disposed).toEqual(['webgpu']);
  });

  it('hands the instance over with keep, for the caller to dispose', async () => {
    const cpu = fakePackage('cpu-js');
    const p = await probeBackend('cpu-js', { keep: true, threads: 4, importer: importerOf({ '@stridenet/cpu-js': cpu }) });
    expect(p.backend?.name).toBe('cpu-js');
    expect(cpu.starts).toEqual([{}]);
    expect(cpu.disposed).toEqual([]);
  });
});

describe('startAutoBackend', () => {
  it('takes the first that runs by priority and says why it passed over the others', async () => {
    const native = fakePackage('native', { fails: 'addon not built' });
    const gpu = fakePackage('webgpu', { fallback: true });
    const wasm = fakePackage('wasm');
    const choice = await startAutoBackend({ threads: 2, importer: importerOf({ '@stridenet/native': native, '@stridenet/webgpu': gpu, '@stridenet/wasm': wasm }) });
    expect(choice.name).toBe('wasm');
    expect(wasm.starts).toEqual([{ threads: 2 }]);
    expect(choice.skipped.map((s) => s.name)).toEqual(['native', 'webgpu']);
    expect(choice.skipped[0]!.reason).toBe('addon not built');
    expect(choice.skipped[1]!.reason).toMatch(/software \(fallback\) adapter/);
    expect(gpu.disposed).toEqual(['webgpu']);
  });

  it('takes a hardware GPU adapter before wasm and cpu-js', async () => {
    const gpu = fakePackage('webgpu');
    const choice = await startAutoBackend({ importer: importerOf({ '@stridenet/webgpu': gpu, '@stridenet/wasm': fakePackage('wasm') }) });
    expect(choice.name).toBe('webgpu');
    expect(choice.skipped).toEqual([{ name: 'native', reason: expect.stringMatching(/^not installed/) }]);
  });

  it('tries a preferred backend first, even a software adapter', async () => {
    const gpu = fakePackage('webgpu', { fallback: true });
    const choice = await startAutoBackend({ prefer: 'webgpu', importer: importerOf({ '@stridenet/webgpu': gpu, '@stridenet/native': fakePackage('native') }) });
    expect(choice).toMatchObject({ name: 'webgpu', skipped: [] });
  });

  it('rejects with every reason when nothing runs', async () => {
    const err = await startAutoBackend({ importer: importerOf({}) }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/^no backend can run here: native: not installed .*; webgpu: .*; wasm: .*; cpu-js: not installed/);
  });
});

describe('registerBackend and setBackend(name)', () => {
  it('starts a registered backend once per thread count and makes it active', async () => {
    const seen: object[] = [];
    registerBackend(
      'test-cpu',
      async (o) => {
        seen.push(o);
        return createCpuBackend();
      },
      -1,
    );
    expect(listBackends().at(-1)).toBe('test-cpu');
    const a = await setBackend('test-cpu');
    expect(getBackend()).toBe(a);
    expect(await setBackend('test-cpu')).toBe(a);
    const b = await setBackend('test-cpu', { threads: 2 });
    expect(b).not.toBe(a);
    expect(seen).toEqual([{}, { threads: 2 }]);
  });

  it("rejects a bad name or factory, and 'auto' as a name", () => {
    expect(() => registerBackend('', () => createCpuBackend())).toThrow("registerBackend: name is '' but expected a non-empty string other than 'auto'");
    expect(() => registerBackend('auto', () => createCpuBackend())).toThrow(ArgumentError);
    expect(() => registerBackend('x', 3 as never)).toThrow('registerBackend: factory is 3 but expected a function');
  });
});
