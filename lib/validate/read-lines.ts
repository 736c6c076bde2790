/**
 * A file's lines, numbered, in constant memory: the file streamed through {@link createLineSplitter}.
 * Batches come out as the chunks are read (one array per chunk), so a caller works while reading.
 */
import { createReadStream } from 'node:fs';
import { createLineSplitter, type LineSplitterOptions, type SplitLine } from './line-splitter.js';

export interface ReadLinesOptions extends LineSplitterOptions {
  /** Bytes read at a time. Default 1 MiB. */
  chunkBytes?: number;
  signal?: AbortSignal;
}

export async function* readLines(path: string, options: ReadLinesOptions = {}): AsyncGenerator<SplitLine[]> {
  const splitter = createLineSplitter(options);
  const stream = createReadStream(path, { highWaterMark: options.chunkBytes ?? 1024 * 1024, ...(options.signal ? { signal: options.signal } : {}) });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const lines = splitter.push(chunk);
      if (lines.length) yield lines;
    }
    const last = splitter.flush();
    if (last.length) yield last;
  } finally {
    stream.destroy();
  }
}
