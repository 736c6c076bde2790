/**
 * Folder source: every file below a folder as an {@link ExportEntry}, for the export index
 * (lib/export/export-index.ts) to classify. Nothing is read here but directory listings and
 * `stat`s; bytes are read when an entry is opened.
 *
 * Symbolic links: a link to a folder is never followed (it could lead out of the tree or into a
 * loop); a link to a file is listed only when its target lies inside the folder. Everything left
 * out (those links, FIFOs, sockets, devices) is listed as an entry with `skip` set, never opened,
 * so that the export index counts it as not read, and reported through `onSkip`. The root itself
 * may be a link.
 *
 * A folder below the root that cannot be listed (no permission, gone since its parent was listed)
 * or a file that cannot be stat'ed is a problem for that folder or file only: with `onProblem`,
 * it is reported there and left out, and the rest is listed; without, it rejects the whole listing.
 */
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { createFileStream, readFileInPlace } from './file-stream.js';
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { IoError, UsageError } from '../errors.js';
import type { ExportEntry } from './entry.js';

export interface ListFolderOptions {
  /** Called for each file or folder left out, with its filesystem path and why (one of {@link FOLDER_SKIP}). */
  onSkip?: (path: string, reason: string) => void;
  /** Called for each folder or file below the root that cannot be read; without it, the listing rejects with that error. */
  onProblem?: (problem: FolderProblem) => void;
  /** Lists one folder; a seam for tests (a folder that fails). Default `readdirSync(dir, { withFileTypes: true })`. */
  readdir?: (dir: string) => Dirent[];
}

/** A folder (or a file) below the root that could not be read, and is left out of the listing. */
export interface FolderProblem {
  /** Its filesystem path. */
  path: string;
  /** `FBS_IO`, its message naming the path and the system's reason. */
  error: IoError;
}

/** Why {@link listFolder} leaves something out. */
export const FOLDER_SKIP = Object.freeze({
  linkedFolder: 'symbolic link to a folder (not followed)',
  linkOutside: 'symbolic link to a file outside the folder (not followed)',
  brokenLink: 'broken symbolic link',
  special: 'not a regular file (a FIFO, socket or device; not opened)',
});

/**
 * Folders listed between turns of the event loop. Listings and `stat`s are synchronous, several
 * times faster than a promise each through the thread pool while the other cores wait for the
 * index (docs/performance.md#export-index-headers-start-up). The turns keep a caller's timers and
 * I/O going on a big tree.
 */
const FOLDERS_PER_TURN = 64;

/**
 * Every regular file below `root`, sorted by path (code-unit order, so the same tree always gives
 * the same list), and every other thing found there with `skip` set. `path` is relative to `root`
 * and `/`-separated; `name` is the filesystem path; `open()` reads the file in 64 KB chunks.
 */
export async function listFolder(root: string, options: ListFolderOptions = {}): Promise<ExportEntry[]> {
  const { onSkip, onProblem } = options;
  const readdir = options.readdir ?? ((dir: string) => readdirSync(dir, { withFileTypes: true }));
  let rootReal: string;
  try {
    if (!(await stat(root)).isDirectory()) throw new UsageError(`not a folder: ${root}`);
    rootReal = await realpath(root);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`cannot read folder ${root}: no such folder`);
    throw new IoError(`cannot read folder ${root}: ${(err as Error).message}`, { cause: err });
  }
  const inside = rootReal.endsWith(sep) ? rootReal : rootReal + sep;
  const out: ExportEntry[] = [];

  function add(rel: string[], full: string, size: number): void {
    out.push(fileEntry(root, rel.join('/'), full, size, true));
  }

  function leaveOut(rel: string[], full: string, reason: string): void {
    out.push(skippedEntry(root, rel.join('/'), full, reason));
    onSkip?.(full, reason);
  }

  function problem(path: string, what: string, err: unknown): void {
    const error = new IoError(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
    if (!onProblem) throw error;
    onProblem({ path, error });
  }

  function visit(dir: string, rel: string[], d: Dirent): string[] | null {
    const full = join(dir, d.name);
    const here = [...rel, d.name];
    if (d.isDirectory()) return here;
    if (d.isFile()) {
      let size;
      try {
        size = statSync(full).size;
      } catch (err) {
        problem(full, 'file', err);
        return null;
      }
      add(here, full, size);
      return null;
    }
    // a FIFO, socket or device: listed to be counted, never opened (opening a FIFO blocks)
    if (!d.isSymbolicLink()) {
      leaveOut(here, full, FOLDER_SKIP.special);
      return null;
    }
    let target;
    try {
      target = statSync(full);
    } catch {
      leaveOut(here, full, FOLDER_SKIP.brokenLink);
      return null;
    }
    if (target.isDirectory()) leaveOut(here, full, FOLDER_SKIP.linkedFolder);
    else if (!target.isFile()) leaveOut(here, full, FOLDER_SKIP.special);
    else if (!realpathSync(full).startsWith(inside)) leaveOut(here, full, FOLDER_SKIP.linkOutside);
    else add(here, full, target.size);
    return null;
  }

  let listed = 0;
  async function walk(dir: string, rel: string[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = readdir(dir);
    } catch (err) {
      // the root unreadable is the whole input: that is no partial result
      if (rel.length === 0) throw new IoError(`cannot read folder ${dir}: ${(err as Error).message}`, { cause: err });
      problem(dir, 'folder', err);
      return;
    }
    const folders = entries.map((d) => visit(dir, rel, d));
    if (++listed % FOLDERS_PER_TURN === 0) await new Promise(setImmediate);
    for (const sub of folders) if (sub) await walk(join(dir, sub[sub.length - 1]!), sub);
  }

  await walk(root, []);
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

/**
 * A file on disk as an entry (`name` is its filesystem path). Made outside listFolder on purpose:
 * a closure created there would keep listFolder's whole scope, `out` included, alive as long as
 * any entry is: every file of the export (media too, ~2 KB each) for the whole run, since the
 * thread plans keep their parts.
 */
export function fileEntry(input: string, path: string, name: string, size: number, listedRegular = false): ExportEntry {
  const entry: ExportEntry = { input, path, name, size, open: (o) => createFileStream(name, o), readInPlace: () => readFileInPlace(name, { listedRegular }) };
  if (listedRegular) entry.listedRegular = true;
  return entry;
}

/** A file listed only to be counted as not read (`reason`): opening it is a bug, and says so. */
function skippedEntry(input: string, path: string, name: string, reason: string): ExportEntry {
  const refuse = (): never => {
    throw new IoError(`${name} is not read: ${reason}`);
  };
  return { input, path, name, size: 0, skip: reason, open: refuse, readInPlace: refuse };
}

