import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Each case imports a fresh copy of the loader (it caches the addon it loaded).
async function freshLoader() {
  vi.resetModules();
  return import('./addon.js');
}

const override = process.env.STRIDENET_NATIVE_ADDON;
afterEach(() => {
  if (override === undefined) delete process.env.STRIDENET_NATIVE_ADDON;
  else process.env.STRIDENET_NATIVE_ADDON = override;
});

describe('native addon loader', () => {
  it('reports the binary it loaded: build/Release in the workspace (the ASan and arm64 runs: their override)', async () => {
    const { nativeBinary, packageRoot } = await freshLoader();
    const binary = nativeBinary();
    expect(existsSync(binary.path)).toBe(true);
    if (override) {
      expect(binary).toEqual({ path: override, source: 'override' });
    } else {
      expect(binary).toEqual({ path: join(packageRoot(), 'build', 'Release', 'stridenet_native.node'), source: 'build' });
    }
    // A copy: callers cannot change what the backend reports.
    binary.source = 'prebuild';
    expect(nativeBinary().source).not.toBe('prebuild');
  });

  it('names the file, the reason and an npm build command when the binary cannot be loaded', async () => {
    const missing = join(process.cwd(), 'build', 'no-such-dir', 'stridenet_native.node');
    process.env.STRIDENET_NATIVE_ADDON = missing;
    const { addon, nativeBinary, BUILD_COMMAND } = await freshLoader();
    expect(BUILD_COMMAND).toMatch(/^npm /);
    // (resetModules gave the fresh loader its own copy of core, hence the check by name.)
    expect(() => addon()).toThrow(expect.objectContaining({ name: 'BackendError' }));
    expect(() => nativeBinary()).toThrow(`native: could not load the compiled addon (${missing}: Cannot find module`);
    expect(() => addon()).toThrow(`Build it from source with \`${BUILD_COMMAND}\``);
    // Nothing is cached from a failed load: once the path is right, it loads.
    process.env.STRIDENET_NATIVE_ADDON = override ?? join(process.cwd(), 'build', 'Release', 'stridenet_native.node');
    expect(addon().info().isas.at(-1)).toBe('portable');
  });
});
