import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Builds the addon once when no binary exists yet, so `pnpm test` works from a clean clone. */
export default function setup(): void {
  if (process.env.STRIDENET_NATIVE_ADDON) return;
  const root = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(root, 'build/Release/stridenet_native.node'))) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts/build-addon.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('@stridenet/native: building the addon failed (see the output above)');
}
