/**
 * PROVISIONAL (the lead's stand-in until the output work lands; the owner of lib/sinks replaces it).
 * Where a conversion's data goes: stdout, a device or FIFO written in place, or a regular file
 * written atomically.
 */
import { createWriteStream, statSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { createAtomicFile } from './atomic-file.js';

export interface OutputTarget {
  readonly sink: Writable;
  /** End the sink when done (false for stdout). */
  readonly end: boolean;
  readonly name: string;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export function openOutput(path: string | null | undefined, stdout: Writable): OutputTarget {
  if (path === null || path === undefined || path === '-') {
    return { sink: stdout, end: false, name: '<stdout>', async commit() {}, async abort() {} };
  }
  const st = statSync(path, { throwIfNoEntry: false });
  if (st && !st.isFile() && !st.isDirectory()) {
    const sink = createWriteStream(path, { flags: 'w' });
    return {
      sink, end: true, name: path,
      async commit() { if (!sink.writableEnded) sink.end(); await finished(sink); },
      async abort() { sink.destroy(); },
    };
  }
  const file = createAtomicFile(path);
  return {
    sink: file.stream, end: true, name: path,
    async commit() { if (!file.stream.writableEnded) file.stream.end(); await finished(file.stream); await file.commit(); },
    async abort() { file.abort(); },
  };
}
