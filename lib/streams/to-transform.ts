/**
 * The one place where a pure stage core meets node:stream (stream-chain's asStream, written once):
 * backpressure, errors and destroy.
 * - The core's output is pushed as batches; a lazy output (an iterable of batches) is drained only
 *   as fast as the reader reads, resuming from `_read`.
 * - A throw inside the core becomes the stream's error; nothing is pushed after it.
 * - `_destroy` stops a half-drained output and lets the core release what it holds (temp files).
 */
import { Transform, type TransformCallback, type TransformOptions } from 'node:stream';
import type { Output, Stage } from '../core/stage.js';

/** Batches a stage buffers on each side before it pushes back. */
export const BATCHES_BUFFERED = 2;

export interface StageStreamOptions extends TransformOptions {
  /** Push each record alone instead of arrays of them (the serializer's strings, for byte sinks). */
  flatten?: boolean;
}

export class StageTransform<In, Out> extends Transform {
  private readonly core: Stage<In, Out>;
  private readonly flatten: boolean;
  private draining: Iterator<Out[]> | null = null;
  private resumePump: (() => void) | null = null;

  constructor(core: Stage<In, Out>, { flatten = false, ...options }: StageStreamOptions = {}) {
    // a chunk here is a batch of records: Node's object-mode default of 16 chunks a side would let
    // each stage buffer thousands of records (docs/performance.md#batch-sizes-and-what-stages-hold)
    super({ highWaterMark: BATCHES_BUFFERED, ...options, readableObjectMode: true, writableObjectMode: true });
    this.core = core;
    this.flatten = flatten;
  }

  /** Push one batch; false when the reader wants no more for now. */
  private pushBatch(batch: Out[]): boolean {
    if (!this.flatten) return this.push(batch);
    let more = true;
    for (const item of batch) more = this.push(item);
    return more;
  }

  override _transform(chunk: In, _encoding: BufferEncoding, callback: TransformCallback): void {
    let out: Output<Out>;
    try {
      out = this.core.push(chunk);
    } catch (err) {
      return callback(err as Error);
    }
    this.deliver(out, callback);
  }

  override _flush(callback: TransformCallback): void {
    let out: Output<Out>;
    try {
      out = this.core.flush();
    } catch (err) {
      return callback(err as Error);
    }
    this.deliver(out, callback);
  }

  override _read(size: number): void {
    const resume = this.resumePump;
    if (resume) {
      this.resumePump = null;
      resume();
    }
    super._read(size);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const it = this.draining;
    this.draining = null;
    this.resumePump = null;
    try {
      it?.return?.();
      this.core.destroy?.();
    } catch (cleanupError) {
      err ??= cleanupError as Error;
    }
    callback(err);
  }

  private deliver(out: Output<Out>, callback: TransformCallback): void {
    if (Array.isArray(out)) {
      if (out.length > 0) this.pushBatch(out);
      return callback();
    }
    const it = (out as Iterable<Out[]>)[Symbol.iterator]();
    this.draining = it;
    const pump = (): void => {
      for (;;) {
        if (this.destroyed) return;
        let next: IteratorResult<Out[]>;
        try {
          next = it.next();
        } catch (err) {
          this.draining = null;
          return callback(err as Error);
        }
        if (next.done) {
          this.draining = null;
          return callback();
        }
        if (next.value.length > 0 && !this.pushBatch(next.value)) {
          this.resumePump = pump;
          return;
        }
      }
    };
    pump();
  }
}

export function toTransform<In, Out>(core: Stage<In, Out>, options?: StageStreamOptions): StageTransform<In, Out> {
  return new StageTransform(core, options);
}
