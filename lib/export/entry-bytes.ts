/**
 * One export entry's bytes, whole, read synchronously into one buffer reused from entry to entry
 * (a file read, through the entry's in-place reader), or as a deflated zip entry's reader holds
 * them once inflated: thousands of small threads cost neither a stream, nor a thread-pool round
 * trip, nor a buffer each (but what inflating makes).
 * Null when the entry is not one to read so (larger than `maxBytes`, not a regular file, no
 * in-place reader, a fault of any kind): the caller reads it the usual way, which reports any
 * fault as it always has.
 */
import type { ExportEntry } from '../sources/entry.js';

export interface EntryBytesReader {
  /** The entry's bytes, valid until the next call; null as above. */
  read(entry: Pick<ExportEntry, 'size' | 'skip' | 'readInPlace'>): Uint8Array | null;
}

const FIRST_BUFFER = 1024 * 1024;

export function createEntryBytesReader(maxBytes: number): EntryBytesReader {
  let buffer = Buffer.allocUnsafe(Math.min(FIRST_BUFFER, maxBytes));
  return {
    read(entry) {
      // size 0: an empty file cannot be a thread, and a FIFO or a device says 0 (never opened here)
      if (entry.skip !== undefined || entry.size === 0 || entry.size > maxBytes || !entry.readInPlace) return null;
      let reader;
      try {
        reader = entry.readInPlace();
        if (!reader) return null;
        // an inflated zip entry as it is: no copy, and this buffer does not grow to the largest entry
        const whole = reader.readWhole?.();
        if (whole) return whole;
        if (entry.size > buffer.length) buffer = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(entry.size, 2 * buffer.length)));
        let got = 0;
        for (;;) {
          if (got === buffer.length) {
            if (got >= maxBytes) return null;
            const larger = Buffer.allocUnsafe(Math.min(maxBytes, 2 * got));
            buffer.copy(larger, 0, 0, got);
            buffer = larger;
          }
          const bytes = reader.read(buffer.subarray(got));
          if (bytes.length === 0) return buffer.subarray(0, got);
          // read into the buffer, or a view of the reader's own bytes
          if (bytes.buffer !== buffer.buffer || bytes.byteOffset !== buffer.byteOffset + got) buffer.set(bytes, got);
          got += bytes.length;
        }
      } catch {
        return null;
      } finally {
        reader?.close();
      }
    },
  };
}
