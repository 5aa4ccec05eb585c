import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

export interface ExecResult {
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to completion; a non-zero exit throws with the command, the directory and the output's tail. */
export function exec(cmd: string, args: string[], options: SpawnSyncOptions & { cwd: string; timeoutMs?: number }): ExecResult {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs ?? 300_000,
    ...options,
  });
  const ms = performance.now() - t0;
  const stdout = String(r.stdout ?? '');
  const stderr = String(r.stderr ?? '');
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
    const tail = (stdout + '\n' + stderr).trim().split('\n').slice(-40).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} (in ${options.cwd}) failed: ${why}\n${tail}`);
  }
  return { stdout, stderr, ms };
}
