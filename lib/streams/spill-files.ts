/**
 * A SpillStore in temporary files: one file per sorted run, length-prefixed JSON blocks of rows, in a private folder under the
 * system temp dir (or `dir`). Synchronous I/O in large blocks: the order stage runs inside a
 * Transform, and its reads happen between batches it hands downstream.
 * Files are removed when merged, on close (end, error, destroy), and at process exit at the latest.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry } from '../core/order.js';
import type { SpillStore } from '../core/spill.js';
import { IoError } from '../errors.js';
import type { Message, ThreadInfo } from '../types.js';

/** Rows per line of a run file: one JSON.stringify / JSON.parse per block, not per message. */
const BLOCK_ROWS = 256;
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

/** Messages come back with this thread; the order stage sets the real one as it releases them. */
const UNSET_THREAD: ThreadInfo = Object.freeze({
  id: '', source: '', title: '', participants: [], dialect: 'classic', section: null, isGroup: false,
}) as ThreadInfo;

type Row = [number, number, string, string | null, Message['kind'], number, number, Message['attachments']?, Message['reactions']?];

function toRow({ msg: m, seq }: Entry): Row {
  const row: Row = [seq, m.timestampMs, m.sender, m.text, m.kind, m.index, m.session];
  if (m.attachments || m.reactions) row.push(m.attachments, m.reactions);
  return row;
}

function fromRow(row: Row): Entry {
  const msg: Message = { thread: UNSET_THREAD, sender: row[2], timestampMs: row[1], text: row[3], kind: row[4], index: row[5], session: row[6] };
  if (row[7]) msg.attachments = row[7];
  if (row[8]) msg.reactions = row[8];
  return { msg, seq: row[0] };
}

/** One block of a run file: [uint32 byte length][UTF-8 JSON array of rows], read back without scanning. */
function writeBlock(fd: number, rows: Row[]): void {
  const body = JSON.stringify(rows);
  const block = Buffer.allocUnsafe(4 + Buffer.byteLength(body));
  block.writeUInt32LE(block.length - 4, 0);
  block.write(body, 4);
  writeSync(fd, block);
}

export interface FileSpillOptions {
  /** Parent folder for the private temp folder. Default: the system temp dir. */
  dir?: string;
}

export function createFileSpill(options: FileSpillOptions = {}): SpillStore<Entry> & { readonly dir: string | null } {
  let dir: string | null = null;
  let next = 0;

  const pathOf = (handle: number) => join(dir!, `run-${handle}.ndjson`);
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

  return {
    get dir() {
      return dir;
    },
    write(run) {
      ensureDir();
      const handle = next++;
      const path = pathOf(handle);
      let fd: number | undefined;
      try {
        fd = openSync(path, 'w');
        let rows: Row[] = [];
        for (const entry of run) {
          rows.push(toRow(entry));
          if (rows.length === BLOCK_ROWS) {
            writeBlock(fd, rows);
            rows = [];
          }
        }
        if (rows.length) writeBlock(fd, rows);
      } catch (err) {
        throw new IoError(`cannot write temporary sort file ${path}: ${(err as Error).message}`, { cause: err });
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      return handle;
    },
    *read(handle) {
      const fd = openSync(pathOf(handle), 'r');
      const header = Buffer.allocUnsafe(4);
      let body = Buffer.allocUnsafe(READ_BLOCK);
      try {
        while (readSync(fd, header, 0, 4, null) === 4) {
          const length = header.readUInt32LE(0);
          if (body.length < length) body = Buffer.allocUnsafe(length);
          if (readSync(fd, body, 0, length, null) !== length) throw new IoError(`temporary sort file ${pathOf(handle)} is truncated`);
          const rows = JSON.parse(body.toString('utf8', 0, length)) as Row[];
          for (const row of rows) yield fromRow(row);
        }
      } finally {
        closeSync(fd);
      }
    },
    remove(handle) {
      if (dir) rmSync(pathOf(handle), { force: true });
    },
    close() {
      if (!dir) return;
      rmSync(dir, { recursive: true, force: true });
      live.delete(dir);
      dir = null;
    },
  };
}
