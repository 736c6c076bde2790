/**
 * A file cut into upload parts, read once from start to end for the md5 of the whole file (the
 * parts an earlier run sent included). The parts themselves go out as slices of a file-backed Blob
 * (lib/api/openai/upload.ts), so no part is held in memory: a Blob made from a Buffer lives outside
 * V8's heap, is not counted towards its collections, and ten 64 MB parts kept ~1 GB resident. The
 * reader hashes a part when the caller pulls it, just before it is sent, so it never runs ahead.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { IoError } from '../../errors.js';

export interface PartRange {
  /** 0-based, in file order. */
  index: number;
  start: number;
  /** Exclusive. */
  end: number;
}

export function partRanges(size: number, partSize: number): PartRange[] {
  const ranges: PartRange[] = [];
  for (let start = 0, index = 0; start < size; start += partSize, index++) ranges.push({ index, start, end: Math.min(size, start + partSize) });
  return ranges;
}

/** Bytes are hashed through a buffer this size. */
const CHUNK = 4 * 1024 * 1024;

export interface PartReader {
  /** Each part once its bytes have been hashed, in file order. */
  parts: AsyncGenerator<PartRange>;
  /** The md5 (hex) of the whole file; valid once `parts` is exhausted. */
  md5(): string;
}

/**
 * `size` is the size the upload was created for: a file that is shorter now fails here with a
 * clear error rather than with an md5 mismatch at the end.
 */
export function readParts(path: string, size: number, partSize: number): PartReader {
  const hash = createHash('md5');
  let digest: string | null = null;
  async function* generate(): AsyncGenerator<PartRange> {
    const file = await open(path, 'r');
    try {
      const scratch = Buffer.allocUnsafe(Math.min(CHUNK, partSize));
      for (const range of partRanges(size, partSize)) {
        for (let at = range.start; at < range.end; ) {
          const n = await readFully(file, scratch, Math.min(scratch.length, range.end - at), at, path);
          hash.update(scratch.subarray(0, n));
          at += n;
        }
        yield range;
      }
      digest = hash.digest('hex');
    } finally {
      await file.close();
    }
  }
  return {
    parts: generate(),
    md5: () => {
      if (digest === null) throw new Error('md5 asked before the whole file was read');
      return digest;
    },
  };
}

async function readFully(file: FileHandle, into: Buffer, length: number, position: number, path: string): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(into, done, length - done, position + done);
    if (bytesRead === 0) throw new IoError(`${path} ended at byte ${position + done}, ${length - done} bytes short of what the upload expects: it changed during the upload`);
    done += bytesRead;
  }
  return done;
}
