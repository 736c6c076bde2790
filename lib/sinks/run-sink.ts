/**
 * Where a run writes: its output target, behind the examples' dedupe when asked (a copy of an
 * earlier line is dropped, lib/sinks/dedupe-lines.ts). `finish()` lets the last lines through; it
 * never ends stdout.
 */
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDedupeLines } from './dedupe-lines.js';
import type { OutputTarget } from './output.js';

export interface RunSink {
  /** Write the run's bytes here (not ended by the run). */
  readonly stream: Writable;
  /** End what this sink put in front of the target and wait until all is handed on. */
  finish(): Promise<void>;
  /** Lines dropped as copies of earlier ones. */
  dropped(): number;
}

export function runSink(target: OutputTarget, dedupe: boolean, signal?: AbortSignal): RunSink {
  if (!dedupe) return { stream: target.sink, finish: async () => {}, dropped: () => 0 };
  const lines = createDedupeLines();
  const flowing = pipeline(lines, target.sink, { end: target.end, ...(signal && { signal }) });
  flowing.catch(() => {}); // surfaced by finish(), or by the writes it fails
  return {
    stream: lines,
    async finish() {
      lines.end();
      await flowing;
    },
    dropped: () => lines.stats.dropped,
  };
}
