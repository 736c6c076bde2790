/**
 * A SpillStore in temporary files: one file per sorted run, a sequence of length-prefixed blocks
 * (lib/core/order/spill-codec.ts), in a private folder under the system temp dir (or `dir`). The order
 * stage's packed blocks are written as they are (`writeBlocks`). Synchronous I/O in large blocks:
 * the order stage runs inside a Transform, and its reads happen between batches it hands downstream.
 * Files are removed when merged, on close (end, error, destroy), and at process exit at the latest.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry } from '../core/order/entry.js';
import type { SpillStore } from '../core/order/spill.js';
import { IoError } from '../errors.js';
import { BLOCK_ROWS, SpillCodec } from '../core/order/spill-codec.js';

const READ_BLOCK = 64 * 1024;

/** Folders still on disk; removed at exit if nobody closed them (a crash, a forgotten destroy). */
const live = new Set<string>();
let exitHook = false;
function track(dir: string): void {
  live.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const d of live) rmSync(d, { recursive: true, force: true });
  });
}

export interface FileSpillOptions {
  /** Parent folder for the private temp folder. Default: the system temp dir. */
  dir?: string;
}

export function createFileSpill(options: FileSpillOptions = {}): SpillStore<Entry> & Required<Pick<SpillStore<Entry>, 'codec' | 'writeBlocks'>> & { readonly dir: string | null } {
  let dir: string | null = null;
  let next = 0;
  const codec = new SpillCodec();

  /** Runs written by writeBlocks whose rows are read backwards. */
  const reversed = new Set<number>();

  const pathOf = (handle: number) => join(dir!, `run-${handle}.bin`);
  const ensureDir = () => {
    if (dir) return dir;
    try {
      dir = mkdtempSync(join(options.dir ?? tmpdir(), 'fbstream-'));
    } catch (err) {
      throw new IoError(`cannot create a temporary folder for sorting: ${(err as Error).message}`, { cause: err });
    }
    track(dir);
    return dir;
  };

  /** A new run file, filled by `fill`; its handle. */
  const writeRun = (fill: (fd: number) => void): number => {
    ensureDir();
    const handle = next++;
    const path = pathOf(handle);
    let fd: number | undefined;
    try {
      fd = openSync(path, 'w');
      fill(fd);
    } catch (err) {
      throw new IoError(`cannot write temporary sort file ${path}: ${(err as Error).message}`, { cause: err });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    return handle;
  };

  return {
    get dir() {
      return dir;
    },
    codec,
    write(run) {
      return writeRun((fd) => {
        let block: Entry[] = [];
        for (const entry of run) {
          block.push(entry);
          if (block.length === BLOCK_ROWS) {
            writeSync(fd, codec.encode(block));
            block = [];
          }
        }
        if (block.length) writeSync(fd, codec.encode(block));
      });
    },
    writeBlocks(blocks, reverse) {
      // a reversed run is stored last block first; each block's rows are read backwards
      const handle = writeRun((fd) => {
        for (let i = 0; i < blocks.length; ++i) writeSync(fd, blocks[reverse ? blocks.length - 1 - i : i]!);
      });
      if (reverse) reversed.add(handle);
      return handle;
    },
    read(handle) {
      return readRun(pathOf(handle), codec, reversed.has(handle));
    },
    remove(handle) {
      reversed.delete(handle);
      if (dir) rmSync(pathOf(handle), { force: true });
    },
    close() {
      if (!dir) return;
      rmSync(dir, { recursive: true, force: true });
      live.delete(dir);
      reversed.clear();
      dir = null;
    },
  };
}

/**
 * A run file's entries, in order (`backwards`: each block's rows last first, for a run written
 * reversed). Module-level, not a method of each store: a job makes its own store, and V8 optimized
 * a generator made per store afresh for every large thread (docs/performance.md#stages-as-classes).
 */
function* readRun(path: string, codec: SpillCodec, backwards: boolean): Generator<Entry> {
  const fd = openSync(path, 'r');
  const header = Buffer.allocUnsafe(4);
  let body = Buffer.allocUnsafe(READ_BLOCK);
  try {
    while (readSync(fd, header, 0, 4, null) === 4) {
      const length = header.readUInt32LE(0);
      if (body.length < length) body = Buffer.allocUnsafe(length);
      if (readSync(fd, body, 0, length, null) !== length) throw new IoError(`temporary sort file ${path} is truncated`);
      const entries = codec.decode(body, length);
      if (backwards) for (let i = entries.length - 1; i >= 0; --i) yield entries[i]!;
      else yield* entries;
    }
  } finally {
    closeSync(fd);
  }
}
