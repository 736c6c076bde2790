/**
 * Worker-thread entry of inspect's counting (lib/export/count-share.ts): takes threads from the
 * counter shared with the calling thread, a few at a time, counts each part with the message
 * counter over its bytes read in place, and posts each thread's counts back; null for a thread
 * with a part the counter does not vouch for (or that cannot be read here), which the calling
 * thread then reads itself, for its figures and its errors. A zip entry is read where the calling
 * thread's listing found its data, through a descriptor of the worker's own (no second listing),
 * with the same checks (lib/sources/zip/in-place.ts).
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { countThreadPart, type PartCount } from '../core/message-counter.js';
import type { InPlaceReader } from '../sources/entry.js';
import { fileEntry } from '../sources/folder.js';
import { createInflateBudget } from '../sources/zip.js';
import { EntryTally } from '../sources/zip/entry-checks.js';
import { FdReader } from '../sources/zip/fd-reader.js';
import { readInPlace, type InPlaceArchive } from '../sources/zip/in-place.js';
import type { CountJob, CountPart, FromCountWorker, ToCountWorker } from './count-share.js';
import { createEntryBytesReader, type EntryBytesReader } from './entry-bytes.js';

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('lib/export/count-worker.js is a worker_threads entry, not a module to import');
  port.once('message', (msg: ToCountWorker) => {
    try {
      countShare(msg.job, (m) => port.postMessage(m));
    } catch (err) {
      // the calling thread counts whatever was not reported
      port.postMessage({ type: 'failed', message: (err as Error)?.message ?? String(err) } satisfies FromCountWorker);
    }
    port.close();
  });
}

function countShare(job: CountJob, post: (msg: FromCountWorker) => void): void {
  const next = new Int32Array(job.next);
  const reader = createEntryBytesReader(job.maxPartBytes);
  const archives = new ArchiveReaders(job.archives);
  try {
    for (;;) {
      const from = Atomics.add(next, 0, job.batch);
      if (from >= job.threads.length) break;
      const to = Math.min(from + job.batch, job.threads.length);
      const counts: (PartCount[] | null)[] = [];
      for (let t = from; t < to; ++t) counts.push(countThread(job.threads[t]!, reader, archives));
      post({ type: 'counts', from, counts });
    }
  } finally {
    archives.close();
  }
  post({ type: 'done' });
}

function countThread(parts: readonly CountPart[], reader: EntryBytesReader, archives: ArchiveReaders): PartCount[] | null {
  const out: PartCount[] = [];
  for (const part of parts) {
    if (part === null) return null;
    const entry = part.kind === 'file'
      ? fileEntry(dirname(part.path), basename(part.path), part.path, part.size, part.listedRegular)
      : { size: part.size, readInPlace: () => archives.read(part) };
    const bytes = reader.read(entry);
    const count = bytes && countThreadPart(bytes);
    if (!count) return null;
    out.push(count);
  }
  return out;
}

/** The archives' descriptors, each opened when first read, all closed at the end. */
class ArchiveReaders {
  readonly #opened = new Map<number, InPlaceArchive | null>();
  // the calling thread's budget is its own: this one bounds what the worker inflates
  readonly #budget = createInflateBudget();
  constructor(readonly paths: readonly string[]) {}

  read(part: Extract<CountPart, { kind: 'zip' }>): InPlaceReader | null {
    const archive = this.#archive(part.archive);
    if (!archive) return null;
    const place = { archive: this.paths[part.archive]!, entry: '' };
    return readInPlace(archive, part.start, part.method, part.compressedSize, new EntryTally(part.size, part.crc32, this.#budget, place));
  }

  #archive(k: number): InPlaceArchive | null {
    let a = this.#opened.get(k);
    if (a === undefined) {
      let fd: number | undefined;
      try {
        fd = openSync(this.paths[k]!, 'r');
        a = { reader: new FdReader(fd, fstatSync(fd).size), closing: undefined };
      } catch {
        if (fd !== undefined) closeSync(fd);
        a = null; // its threads are the calling thread's, which says what is wrong
      }
      this.#opened.set(k, a);
    }
    return a;
  }

  close(): void {
    for (const a of this.#opened.values()) a?.reader.close(() => {});
  }
}

main();
