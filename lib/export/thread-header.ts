/**
 * The cheap read of a thread file's start (participants, title) that the export index needs to
 * decide the owner and the selection, without reading the messages: the reads (in place or as a
 * stream, a file's end for a title after the messages); what is made of the bytes is
 * lib/export/header-reader.ts.
 */
import type { Readable } from 'node:stream';
import { FbstreamError, IoError } from '../errors.js';
import type { ExportEntry, InPlaceReader } from '../sources/entry.js';
import { createHeaderReader } from './header-reader.js';

export { createHeaderReader, membersAtEnd } from './header-reader.js';

/** What {@link readThreadHeader} learns from the start of a thread file. */
export interface ThreadHeader {
  /** Repaired names, in file order (`""` and `"Facebook user"` kept as they are). */
  participants: string[];
  /**
   * `title`, or the E2EE `threadName`, wherever it is in the file. Classic files put it after the
   * messages: found there in a file's last bytes, and in a group chat's zip entry or stream by
   * reading it through; a one-to-one chat read so is titled by the other participant's name, which
   * is among `participants` already, and is left without.
   */
  title?: string;
  /** `thread_path`, where `title` is found. */
  threadPath?: string;
  /** More than two participants, or `thread_type: "RegularGroup"` when seen. */
  isGroup: boolean;
  /** `e2ee` when participants are plain strings or a `threadName` was seen (the E2EE download). */
  format: 'classic' | 'e2ee';
}

export interface ReadThreadHeaderOptions {
  /** Repair mojibake in names and title (docs/formats.md#mojibake). Default true. */
  repair?: boolean;
  /**
   * A group chat's title after its messages, even where only reading the whole entry reaches it
   * (a zip entry, a stream): for `--thread`, whose patterns match titles. Default false: only a
   * file's end is read for it (cheap), since owner detection and the rest need the participants.
   */
  titleAtEnd?: boolean;
}

/**
 * Read only the beginning of `entry`: the top-level keys before `messages` (participants come
 * first in every dialect seen). Reading stops, and the file or stream is closed, as soon as
 * `messages` starts with the participants known; a file that puts them after the messages is read
 * on, skipping the messages, until they come. A title after the messages is read from the end
 * (see {@link ThreadHeader.title}). Read in place when the entry can be (files, zip entries), else
 * as a stream. Errors: `FBS_JSON_SYNTAX`, `FBS_EMPTY_INPUT`, `FBS_NOT_A_THREAD` (DataError, naming
 * the entry; `offset`: the end of the slice of at most 512 characters the fault was found in),
 * `FBS_IO` (IoError). A fault after the header (in the messages, at the end) is the thread's
 * conversion's to report: the header is returned.
 */
export async function readThreadHeader(entry: ExportEntry, options: ReadThreadHeaderOptions = {}): Promise<ThreadHeader> {
  const reader = createHeaderReader(entry.name, options);
  let inPlace: InPlaceReader | null | undefined;
  let stream: Readable | undefined;
  try {
    inPlace = entry.readInPlace?.({ head: HEAD_COMPRESSED });
    if (inPlace) {
      // a zip entry's end comes only by inflating it all: done for group chats alone
      const last = headerInPlace(inPlace, reader, options.titleAtEnd === true);
      if (last && reader.titleAfter && reader.isGroup) await readThroughInPlace(inPlace, reader, last);
      return reader.end();
    }
    stream = await entry.open({ chunkBytes: HEADER_CHUNK });
    const chunks = stream[Symbol.asyncIterator]();
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      const chunk = next.value as Uint8Array | string;
      if (!reader.push(chunk)) continue;
      if (options.titleAtEnd && reader.titleAfter && reader.isGroup) await readThroughStream(chunks, reader, chunk);
      break;
    }
    return reader.end();
  } catch (err) {
    if (err instanceof FbstreamError) throw err;
    throw new IoError(`cannot read ${entry.name}: ${(err as Error).message}`, { cause: err });
  } finally {
    inPlace?.close();
    stream?.destroy();
  }
}

/**
 * The header of an entry that can be read in place (a file, a zip entry): synchronously, into one
 * buffer for every header. An export's index reads hundreds of headers, and a stream per header
 * cost several times more, on the one core working then (docs/performance.md#export-index-headers-start-up).
 * No await between a read and the push that decodes it, so the buffer cannot be overwritten early.
 * With `keepLast`, returns a copy of the bytes read last when the header stopped before the end
 * (for {@link readThroughInPlace}), else null.
 */
function headerInPlace(source: InPlaceReader, reader: HeaderReader, keepLast: boolean): Buffer | null {
  let bytes: Uint8Array;
  let reads = 0;
  for (;;) {
    bytes = source.read(headerBuffer);
    ++reads;
    if (bytes.length === 0) return null;
    if (reader.push(bytes)) break;
  }
  // a title after the messages: a file's last bytes are one read away, whatever comes before; none
  // when the first read held the whole file (most threads of an export are that small)
  if (reader.titleAfter && source.readTail) {
    const whole = reads === 1 && source.size === bytes.length;
    const tailOf = (into: Buffer) => (whole ? bytes.subarray(Math.max(0, bytes.length - into.length)) : source.readTail!(into));
    reader.tail(tailOf(tailBuffer.subarray(0, SHORT_TAIL)));
    if (reader.titleAfter) reader.tail(tailOf(tailBuffer));
  }
  return keepLast && reader.titleAfter ? Buffer.from(bytes) : null;
}

/**
 * Read on to the end after `last` (the bytes read last), keeping the last {@link TAIL_BYTES}, and
 * take the keys after the messages from them; a turn of the event loop every few reads (signals).
 */
async function readThroughInPlace(source: InPlaceReader, reader: HeaderReader, last: Uint8Array): Promise<void> {
  // buffers of its own: other headers are read during its turns
  const buffer = Buffer.allocUnsafe(THROUGH_READ);
  const end = Buffer.allocUnsafe(TAIL_BYTES);
  let kept = keepLast(end, last, 0);
  for (let reads = 1; ; ++reads) {
    let bytes;
    try {
      bytes = source.read(buffer);
    } catch {
      return; // the rest cannot be read: the thread's conversion says why
    }
    if (bytes.length === 0) break;
    kept = keepLast(end, bytes, kept);
    if (reads % READS_PER_TURN === 0) await new Promise(setImmediate);
  }
  reader.tail(end.subarray(0, kept));
}

async function readThroughStream(chunks: AsyncIterator<unknown>, reader: HeaderReader, first: Uint8Array | string): Promise<void> {
  const last = Buffer.allocUnsafe(TAIL_BYTES); // its own: other headers are read between two chunks
  let kept = keepLast(last, typeof first === 'string' ? Buffer.from(first) : first, 0);
  try {
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      const chunk = next.value as Uint8Array | string;
      kept = keepLast(last, typeof chunk === 'string' ? Buffer.from(chunk) : chunk, kept);
    }
  } catch {
    return; // as above
  }
  reader.tail(last.subarray(0, kept));
}

/** Append `bytes` to the `kept` bytes at the start of `into`, keeping the last `into.length`; the new count. */
function keepLast(into: Buffer, bytes: Uint8Array, kept: number): number {
  if (bytes.length >= into.length) {
    into.set(bytes.subarray(bytes.length - into.length));
    return into.length;
  }
  const drop = Math.max(0, kept + bytes.length - into.length);
  if (drop) into.copyWithin(0, drop, kept);
  into.set(bytes, kept - drop);
  return kept - drop + bytes.length;
}

/** Read size asked of a file (and the buffer read in place into): headers are small, and hundreds of threads are read for them. */
const HEADER_CHUNK = 16 * 1024;
const headerBuffer = Buffer.allocUnsafe(HEADER_CHUNK);
/** Compressed bytes of a zip entry inflated first: ~20–40 KiB of JSON, past most headers (a thread is up to MBs). */
const HEAD_COMPRESSED = 4 * 1024;
/** The end of a file read for a title after the messages: that title is in the last few hundred bytes. */
const SHORT_TAIL = 1024;
/** ...unless the keys after it are longer (a long `magic_words`): then this much is read. */
const TAIL_BYTES = 64 * 1024;
const tailBuffer = Buffer.allocUnsafe(TAIL_BYTES);
/** Read size when a whole entry is read through for its end, and reads between two turns of the event loop. */
const THROUGH_READ = 256 * 1024;
const READS_PER_TURN = 8;

type HeaderReader = ReturnType<typeof createHeaderReader>;
