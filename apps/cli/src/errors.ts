/**
 * Exit codes: 0 ok, 1 runtime failure, 2 usage error (bad flags, names, config), 74 file-system
 * error (no space, permission, missing or wrong kind of path; sysexits' EX_IOERR), 130 interrupted.
 */
export const EXIT = Object.freeze({ ok: 0, runtime: 1, usage: 2, filesystem: 74, interrupted: 130 });

/** A mistake in what the user asked for: unknown name, bad flag value, unreadable config. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function unknownName(kind: string, input: string, valid: readonly string[], hint = ''): UsageError {
  return new UsageError(`unknown ${kind} '${input}'. Valid ${kind}s: ${valid.join(', ')}.${hint ? ` ${hint}` : ''}`);
}

/** The operating-system errors reported as one line naming the path and the operation. */
const OS_ERRORS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'it is a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'it already exists',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/** What a failed system call was doing, in words. */
const OPERATIONS: Readonly<Record<string, string>> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create directory',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove directory',
  scandir: 'list directory',
  stat: 'inspect',
  lstat: 'inspect',
  fsync: 'flush to disk',
  copyfile: 'copy',
  access: 'access',
  opendir: 'open directory',
  close: 'close',
};

/**
 * A one-line message for a file-system error from Node (its `code`, `syscall`, `path`), or
 * undefined when `e` (or its cause) is not one: "cannot write '/runs/x/metrics.jsonl': no space
 * left on the device (ENOSPC)".
 */
export function fileSystemErrorMessage(e: unknown): string | undefined {
  for (let err = e as (NodeJS.ErrnoException & { cause?: unknown }) | undefined, depth = 0; err && depth < 4; err = err.cause as typeof err, depth++) {
    const code = typeof err.code === 'string' ? err.code : undefined;
    if (!code || !(code in OS_ERRORS)) continue;
    const op = err.syscall ? (OPERATIONS[err.syscall] ?? err.syscall) : 'access';
    const dest = (err as { dest?: string }).dest;
    const path = err.path ? ` '${err.path}'${dest ? ` to '${dest}'` : ''}` : '';
    return `cannot ${op}${path}: ${OS_ERRORS[code]} (${code})`;
  }
  return undefined;
}
