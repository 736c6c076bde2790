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
import type { InPlaceArchive } from '../sources/zip/in-place.js';
import type { CountJob, CountPart, FromCountWorker, ToCountWorker } from './count-share.js';
import { createEntryBytesReader, type EntryBytesReader } from './entry-bytes.js';

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('lib/export/count-worker.js is a worker_threads entry, not a module to import');
  let zipReading: Promise<ZipReading> | undefined;
  // the zip reader's modules only for zip inputs (a start-up sooner, for a folder's threads)
  const loadZip = () => (zipReading ??= loadZipReading());
  port.on('message', (msg: ToCountWorker) => {
    if (msg.type === 'zip') return void loadZip().catch(() => {});
    port.removeAllListeners('message');
    const zip = msg.job.archives.length ? loadZip() : Promise.resolve(null);
    void zip
      .then((modules) => countShare(msg.job, modules, (m) => port.postMessage(m)))
      .catch((err: unknown) => {
        // the calling thread counts whatever was not reported
        port.postMessage({ type: 'failed', message: (err as Error)?.message ?? String(err) } satisfies FromCountWorker);
      })
      .finally(() => port.close());
  });
}

type ZipReading = Awaited<ReturnType<typeof loadZipReading>>;

async function loadZipReading() {
  const [{ createInflateBudget }, { EntryTally }, { FdReader }, { readInPlace }] = await Promise.all([
    import('../sources/zip.js'), import('../sources/zip/entry-checks.js'), import('../sources/zip/fd-reader.js'), import('../sources/zip/in-place.js'),
  ]);
  return { createInflateBudget, EntryTally, FdReader, readInPlace };
}

function countShare(job: CountJob, zip: ZipReading | null, post: (msg: FromCountWorker) => void): void {
  const next = new Int32Array(job.next);
  const reader = createEntryBytesReader(job.maxPartBytes);
  const archives = new ArchiveReaders(job.archives, zip);
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
  readonly #budget;
  constructor(
    readonly paths: readonly string[],
    readonly zip: ZipReading | null,
  ) {
    this.#budget = zip?.createInflateBudget();
  }

  read(part: Extract<CountPart, { kind: 'zip' }>): InPlaceReader | null {
    const { zip } = this;
    const archive = zip && this.#archive(part.archive, zip);
    if (!zip || !archive || !this.#budget) return null;
    const place = { archive: this.paths[part.archive]!, entry: '' };
    return zip.readInPlace(archive, part.start, part.method, part.compressedSize, new zip.EntryTally(part.size, part.crc32, this.#budget, place));
  }

  #archive(k: number, zip: ZipReading): InPlaceArchive | null {
    let a = this.#opened.get(k);
    if (a === undefined) {
      let fd: number | undefined;
      try {
        fd = openSync(this.paths[k]!, 'r');
        a = { reader: new zip.FdReader(fd, fstatSync(fd).size), closing: undefined };
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
