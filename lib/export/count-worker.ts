/**
 * Worker-thread entry of inspect's counting (lib/export/count-share.ts): takes threads from the
 * counter shared with the calling thread, a few at a time, counts each part with the message
 * counter over its bytes read in place, and posts each thread's counts back; null for a thread
 * with a part the counter does not vouch for (or cannot read here), which the calling thread then
 * reads itself, for its figures and its errors. Zip archives are listed here once, when a thread
 * taken first needs one, and closed before `done`.
 */
import { basename, dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { countThreadPart, type PartCount } from '../core/message-counter.js';
import type { ExportEntry } from '../sources/entry.js';
import { fileEntry } from '../sources/folder.js';
import { openZip, type ZipArchive, type ZipEntry } from '../sources/zip.js';
import type { CountJob, CountPart, FromCountWorker, ToCountWorker } from './count-share.js';
import { createEntryBytesReader, type EntryBytesReader } from './entry-bytes.js';

interface Archive {
  zip: ZipArchive | null;
  byPath: Map<string, ZipEntry>;
}

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('lib/export/count-worker.js is a worker_threads entry, not a module to import');
  const post = (msg: FromCountWorker) => port.postMessage(msg);
  port.once('message', (msg: ToCountWorker) => {
    void countShare(msg.job, post).then(
      () => port.close(),
      // the calling thread counts whatever was not reported
      (err: unknown) => {
        post({ type: 'failed', message: (err as Error)?.message ?? String(err) });
        port.close();
      },
    );
  });
}

async function countShare(job: CountJob, post: (msg: FromCountWorker) => void): Promise<void> {
  const next = new Int32Array(job.next);
  const reader = createEntryBytesReader(job.maxPartBytes);
  const archives = new Map<string, Archive>();
  try {
    for (;;) {
      const from = Atomics.add(next, 0, job.batch);
      if (from >= job.threads.length) break;
      const to = Math.min(from + job.batch, job.threads.length);
      const counts: (PartCount[] | null)[] = [];
      for (let t = from; t < to; ++t) counts.push(await countThread(job.threads[t]!, reader, archives));
      post({ type: 'counts', from, counts });
    }
  } finally {
    for (const a of archives.values()) await a.zip?.close().catch(() => {});
  }
  post({ type: "done" });
}

async function countThread(parts: readonly CountPart[], reader: EntryBytesReader, archives: Map<string, Archive>): Promise<PartCount[] | null> {
  const out: PartCount[] = [];
  for (const part of parts) {
    const entry = part.kind === 'file' ? fileEntry(dirname(part.path), basename(part.path), part.path, part.size) : await zipEntry(part.archive, part.entry, archives);
    const bytes = entry && reader.read(entry);
    const count = bytes && countThreadPart(bytes);
    if (!count) return null;
    out.push(count);
  }
  return out;
}

async function zipEntry(archive: string, path: string, archives: Map<string, Archive>): Promise<ExportEntry | undefined> {
  let a = archives.get(archive);
  if (!a) {
    // an archive that cannot be listed here leaves its threads to the calling thread
    const zip = await openZip(archive).catch(() => null);
    a = { zip, byPath: new Map(zip?.entries.map((e) => [e.path, e])) };
    archives.set(archive, a);
  }
  return a.byPath.get(path);
}

main();
