/**
 * Temporary files, handled one way for every user: the sort stage's runs
 * (lib/streams/spill-files.ts), the export's held output (lib/export/ordered-output.ts) and the
 * file `-o` writes beside its target (lib/sinks/atomic-file.ts).
 *
 * - Each run gets a private folder (`mkdtemp`: a random name, mode 0700) under the folder it is
 *   given or the system's temporary folder; its files are created inside.
 * - Its owner removes it when the run ends, fails or is aborted. As a fallback, everything still
 *   registered is removed synchronously when the process exits: after an uncaught error, or once a
 *   signal handler (the CLI's, cli/output.ts) has let the run unwind. Nothing is left behind.
 * - A file that is committed (renamed into place) is fsynced first (see lib/sinks/atomic-file.ts).
 * - Errors are IoErrors that name the file: `cannot write /tmp/…/x: no space left on device (ENOSPC)`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoError } from './errors.js';

/** Paths (folders and single files) to remove at exit if their owner has not. */
const leftovers = new Set<string>();
let exitHook = false;

/** Remove `path` (a folder with its contents, or a file) when the process exits, unless {@link forget} is called first. */
export function removeAtExit(path: string): void {
  leftovers.add(path);
  if (exitHook) return;
  exitHook = true;
  // 'exit' listeners must be synchronous: nothing asynchronous runs after it
  process.once('exit', removeLeftovers);
}

/** `path` was removed or kept by its owner: nothing to do at exit. */
export function forget(path: string): void {
  leftovers.delete(path);
}

/** Remove every registered path now, synchronously (the exit hook; also for tests). */
export function removeLeftovers(): void {
  for (const path of leftovers) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // best effort: the process is ending
    }
  }
  leftovers.clear();
}

/** A private folder for one run's temporary files. */
export interface TempFolder {
  readonly path: string;
  /** The path of a file named `name` inside the folder (not created here). */
  file(name: string): string;
  /** Remove the folder and everything in it. Idempotent. */
  remove(): Promise<void>;
  /** The same, synchronously (a sort spill is closed from synchronous code). */
  removeSync(): void;
}

/** A new private folder `<parent>/<prefix>XXXXXX`; `parent` defaults to the system temp folder. */
export async function createTempFolder(prefix: string, parent?: string): Promise<TempFolder> {
  const base = parent ?? tmpdir();
  let path: string;
  try {
    path = await mkdtemp(join(base, prefix));
  } catch (err) {
    throw folderError(base, err);
  }
  return tempFolder(path);
}

/** {@link createTempFolder}, synchronously. */
export function createTempFolderSync(prefix: string, parent?: string): TempFolder {
  const base = parent ?? tmpdir();
  let path: string;
  try {
    path = mkdtempSync(join(base, prefix));
  } catch (err) {
    throw folderError(base, err);
  }
  return tempFolder(path);
}

function tempFolder(path: string): TempFolder {
  removeAtExit(path);
  let removed = false;
  return {
    path,
    file: (name) => join(path, name),
    async remove() {
      if (removed) return;
      removed = true;
      await rm(path, { recursive: true, force: true });
      forget(path);
    },
    removeSync() {
      if (removed) return;
      removed = true;
      rmSync(path, { recursive: true, force: true });
      forget(path);
    },
  };
}

function folderError(parent: string, err: unknown): IoError {
  return new IoError(`cannot create a temporary folder in ${parent}: ${describeIoError(err)}`, { cause: err });
}

/** `cannot <verb> <path>: <reason>` as an IoError, e.g. `cannot write /tmp/x: no space left on device (ENOSPC)`. */
export function ioError(verb: string, path: string, err: unknown): IoError {
  if (err instanceof IoError) return err;
  return new IoError(`cannot ${verb} ${path}: ${describeIoError(err)}`, { cause: err });
}

/**
 * A system error as a reason: `no space left on device (ENOSPC)` from Node's
 * `ENOSPC: no space left on device, write`; any other error's message as it is.
 */
export function describeIoError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = e?.code;
  if (typeof code !== 'string' || !message.startsWith(`${code}: `)) return message;
  let reason = message.slice(code.length + 2);
  const syscall = typeof e?.syscall === 'string' ? reason.indexOf(`, ${e.syscall}`) : -1;
  if (syscall >= 0) reason = reason.slice(0, syscall);
  return `${reason} (${code})`;
}
