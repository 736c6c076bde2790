/**
 * Worker-thread entry of `convertThreads` (lib/export/parallel.ts): runs one thread job at a time
 * with {@link runThreadJob} and posts its NDJSON back as transferred pieces, under the protocol of
 * lib/export/protocol.ts (credit-based backpressure, `close` aborting the job in progress).
 * A zip part is read where the export's listing found it, through a descriptor the worker keeps
 * open between jobs (lib/export/part-opener.ts); an archive is listed again only for a part that
 * cannot be read so.
 */
import { basename, dirname } from 'node:path';
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { ExportEntry } from '../sources/entry.js';
import { fileEntry } from '../sources/folder.js';
import { READ_REPORT_BYTES, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';
import { readThreadHeader, type ThreadHeader } from './thread-header.js';
import type { PartRef } from './part-ref.js';
import { createPartOpener, type PartOpener } from './part-opener.js';
import { failedResult, PiecePool, runThreadJob, type JobResult, type ThreadJob } from './thread-job.js';

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('lib/export/worker.js is a worker_threads entry, not a module to import');
  // shared by the header reads and the jobs: each zip archive opened once
  const opener = createPartOpener();
  let headers: Promise<void> = Promise.resolve();
  const beforeInit = (msg: ToWorker) => {
    if (msg.type === 'headers') {
      const { id, parts } = msg;
      headers = headers
        .then(() => readHeaders(opener, parts))
        .catch(() => parts.map(() => null))
        .then((got) => port.postMessage({ type: 'headers', id, headers: got } satisfies FromWorker));
      return;
    }
    if (msg.type !== 'init') throw new Error(`worker: expected init first, got ${msg.type}`);
    port.off('message', beforeInit);
    serve(port, msg.init, opener, headers);
  };
  port.on('message', beforeInit);
}

/** The header of each part, as the main thread reads it (lib/export/open-export.ts); null where it fails. */
async function readHeaders(opener: PartOpener, parts: readonly PartRef[]): Promise<(ThreadHeader | null)[]> {
  const out: (ThreadHeader | null)[] = [];
  for (const part of parts) {
    try {
      const entry = part.kind === 'file' ? fileEntry(dirname(part.path), basename(part.path), part.path, 0, part.listedRegular) : ((await opener.source(part)) as ExportEntry);
      out.push(await readThreadHeader(entry));
    } catch {
      out.push(null);
    }
  }
  return out;
}

/** Jobs as they come, run one at a time after `before` (header reads asked before `init`). */
function serve(port: MessagePort, { options, pieceBytes, credit }: WorkerInit, opener: PartOpener, before: Promise<void>): void {
  const post = (msg: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer);
  const budget = credit * pieceBytes;
  /** Bytes posted and not acknowledged. One piece may always go (none is larger than a full one). */
  let inFlight = 0;
  /** Piece buffers given back: at most `credit` full pieces are out at once, so no more come back. */
  const pool = new PiecePool(pieceBytes, credit);
  let wake: (() => void) | null = null;
  let current: AbortController | null = null;
  let queue: Promise<void> = before;
  let closing = false;

  const emitFor = (id: number, signal: AbortSignal) => async (bytes: Uint8Array) => {
    while (inFlight > 0 && inFlight + bytes.byteLength > budget) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => (wake = resolve));
    }
    signal.throwIfAborted();
    inFlight += bytes.byteLength;
    // pieces own their whole buffer (lib/export/thread-job.ts); copy anything else before moving it
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const buffer = whole ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
    post({ type: 'piece', id, bytes: buffer }, [buffer]);
  };

  const run = async (id: number, job: ThreadJob): Promise<void> => {
    if (closing) return;
    const ac = new AbortController();
    current = ac;
    let result: JobResult;
    let unreported = 0;
    const onRead = (n: number) => {
      unreported += n;
      if (unreported < READ_REPORT_BYTES) return;
      post({ type: 'read', id, bytes: unreported });
      unreported = 0;
    };
    try {
      result = await runThreadJob(job, options, emitFor(id, ac.signal), { opener, signal: ac.signal, pieceBytes, onRead, pieces: pool });
      if (unreported) post({ type: 'read', id, bytes: unreported });
    } catch (err) {
      if (ac.signal.aborted) return; // closing: the main thread no longer waits for this job
      result = failedResult(err);
    } finally {
      current = null;
    }
    post({ type: 'done', id, result });
  };

  port.on('message', (msg: ToWorker) => {
    switch (msg.type) {
      case 'job':
        queue = queue.then(() => run(msg.id, msg.job));
        return;
      case 'ack': {
        inFlight -= msg.size;
        if (msg.bytes) pool.give(msg.bytes);
        const w = wake;
        wake = null;
        w?.();
        return;
      }
      case 'close': {
        closing = true;
        current?.abort();
        const w = wake;
        wake = null;
        w?.();
        queue
          .then(() => opener.close())
          .then(
            () => post({ type: 'closed' }),
            (err: unknown) => post({ type: 'closed', error: (err as Error)?.message ?? String(err) }),
          );
        return;
      }
    }
  });
  post({ type: 'ready' });
}

main();
