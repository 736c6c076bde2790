/**
 * A SpillStore in temporary files: one file per sorted run, a sequence of length-prefixed blocks
 * (lib/core/order/spill-codec.ts), in a private folder (lib/temp-files.ts) under the system temp dir
 * (or `dir`). The order stage's packed blocks are written as they are (`writeBlocks`). Synchronous
 * I/O in large blocks: the order stage runs inside a Transform, and its reads happen between
 * batches it hands downstream. Files are removed when merged, the folder on close (end, error,
 * destroy), and at process exit at the latest.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import type { Entry } from '../core/order/entry.js';
import type { SpillStore } from '../core/order/spill.js';
import { IoError } from '../errors.js';
import { BLOCK_ROWS, SpillCodec } from '../core/order/spill-codec.js';
import { createTempFolderSync, ioError, type TempFolder } from '../temp-files.js';

const READ_BLOCK = 64 * 1024;

export interface FileSpillOptions {
  /** Parent folder for the private temp folder. Default: the system temp dir. */
  dir?: string;
}

export function createFileSpill(options: FileSpillOptions = {}): SpillStore<Entry> & Required<Pick<SpillStore<Entry>, 'codec' | 'writeBlocks'>> & { readonly dir: string | null } {
  let folder: TempFolder | null = null;
  let next = 0;
  const codec = new SpillCodec();

  /** Runs written by writeBlocks whose rows are read backwards. */
  const reversed = new Set<number>();

  const pathOf = (handle: number) => folder!.file(`run-${handle}.bin`);
  const ensureDir = () => (folder ??= createTempFolderSync('fbstream-', options.dir));

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
      throw ioError('write', path, err);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    return handle;
  };

  return {
    get dir() {
      return folder?.path ?? null;
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
      if (folder) rmSync(pathOf(handle), { force: true });
    },
    close() {
      if (!folder) return;
      folder.removeSync();
      reversed.clear();
      folder = null;
    },
  };
}

/**
 * A run file's entries, in order (`backwards`: each block's rows last first, for a run written
 * reversed). Module-level, not a method of each store: a job makes its own store, and V8 optimized
 * a generator made per store afresh for every large thread (docs/performance.md#stages-as-classes).
 */
function* readRun(path: string, codec: SpillCodec, backwards: boolean): Generator<Entry> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw ioError('read', path, err);
  }
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
