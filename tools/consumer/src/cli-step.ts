// The CLI as installed from its tarball: a short training run on the bundled data writes a checkpoint.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './exec.js';

export function runCli(consumer: string, log: (l: string) => void): void {
  const dir = join(consumer, 'cli');
  mkdirSync(dir, { recursive: true });
  const { stdout, ms } = exec('npx', ['--no-install', 'stridenet', 'train', '--max-steps', '20', '--name', 'smoke'], { cwd: dir, timeoutMs: 300_000 });
  const checkpoint = join(dir, 'runs', 'smoke', 'checkpoints', 'latest.safetensors');
  if (!existsSync(checkpoint) || statSync(checkpoint).size === 0) {
    throw new Error(`cli step: 'stridenet train --max-steps 20' exited 0 but wrote no checkpoint at ${checkpoint}\n${stdout}`);
  }
  const backend = /with backend (\S+)/.exec(stdout)?.[1] ?? '?';
  log(`  ok   npx stridenet train --max-steps 20: backend ${backend}, checkpoint ${statSync(checkpoint).size} bytes (${(ms / 1000).toFixed(1)} s)`);
}
