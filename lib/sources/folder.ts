/**
 * Folder source: every file below a folder as an {@link ExportEntry}, for the export index
 * (lib/export/export-index.ts) to classify. Nothing is read here but directory listings and
 * `stat`s; bytes are read when an entry is opened.
 *
 * Symbolic links: a link to a folder is never followed (it could lead out of the tree or into a
 * loop); a link to a file is listed only when its target lies inside the folder. Everything left
 * out is reported through `onSkip`. The root itself may be a link.
 */
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { createFileStream, readFileInPlace } from './file-stream.js';
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { IoError, UsageError } from '../errors.js';
import type { ExportEntry } from './entry.js';

export interface ListFolderOptions {
  /** Called for each file or folder left out, with its filesystem path and why. */
  onSkip?: (path: string, reason: string) => void;
}

/** Why {@link listFolder} leaves something out. */
export const FOLDER_SKIP = Object.freeze({
  linkedFolder: 'symbolic link to a folder (not followed)',
  linkOutside: 'symbolic link to a file outside the folder (not followed)',
  brokenLink: 'broken symbolic link',
  special: 'not a regular file (device, socket or pipe)',
});

/**
 * Folders listed between turns of the event loop. Listings and `stat`s are synchronous: on a 2 GB
 * export (979 folders, 6,776 files) they take ~58 ms so, where a promise each through the thread
 * pool took ~350 (listFolder as a whole: 125 ms against 360), while the other cores wait for the
 * index. The turns keep a caller's timers and I/O going on a big tree.
 */
const FOLDERS_PER_TURN = 64;

/**
 * Every regular file below `root`, sorted by path (code-unit order, so the same tree always gives
 * the same list). `path` is relative to `root` and `/`-separated; `name` is the filesystem path;
 * `open()` reads the file in 64 KB chunks.
 */
export async function listFolder(root: string, options: ListFolderOptions = {}): Promise<ExportEntry[]> {
  const { onSkip } = options;
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
    out.push(fileEntry(root, rel.join('/'), full, size));
  }

  function visit(dir: string, rel: string[], d: Dirent): string[] | null {
    const full = join(dir, d.name);
    const here = [...rel, d.name];
    if (d.isDirectory()) return here;
    if (d.isFile()) {
      add(here, full, statOrFail(full).size);
      return null;
    }
    if (!d.isSymbolicLink()) {
      onSkip?.(full, FOLDER_SKIP.special);
      return null;
    }
    let target;
    try {
      target = statSync(full);
    } catch {
      onSkip?.(full, FOLDER_SKIP.brokenLink);
      return null;
    }
    if (target.isDirectory()) onSkip?.(full, FOLDER_SKIP.linkedFolder);
    else if (!target.isFile()) onSkip?.(full, FOLDER_SKIP.special);
    else if (!realpathSync(full).startsWith(inside)) onSkip?.(full, FOLDER_SKIP.linkOutside);
    else add(here, full, target.size);
    return null;
  }

  let listed = 0;
  async function walk(dir: string, rel: string[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      throw new IoError(`cannot read folder ${dir}: ${(err as Error).message}`, { cause: err });
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
export function fileEntry(input: string, path: string, name: string, size: number): ExportEntry {
  return { input, path, name, size, open: (o) => createFileStream(name, o), readInPlace: () => readFileInPlace(name) };
}

function statOrFail(path: string) {
  try {
    return statSync(path);
  } catch (err) {
    throw new IoError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

