/**
 * The checks on a zip entry's bytes as they come, shared by both ways to read an entry: the
 * declared size (a lying size stops there), the run's budget of inflated bytes, CRC-32 at the end.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { ZipError, ZipLimitError, type ZipPlace } from '../../errors.js';
import { hex } from './faults.js';
import { READ_CHUNK } from './fd-reader.js';

/** Inflated bytes several archives may yield in all (one run); `used` grows as entries are read. */
export interface InflateBudget {
  readonly limit: number;
  used: number;
}

/** Each method returns the fault, or undefined; the offset is the entry's bytes before the chunk. */
export class EntryTally {
  bytes = 0;
  #crc = 0;
  constructor(
    readonly declared: number,
    readonly crc: number,
    readonly budget: InflateBudget,
    readonly place: ZipPlace & { entry: string },
  ) {}

  add(chunk: Uint8Array): Error | undefined {
    const at = { ...this.place, offset: this.bytes };
    if (this.bytes + chunk.length > this.declared) return this.overflow();
    if (this.budget.used + chunk.length > this.budget.limit) {
      return new ZipLimitError(`inflated bytes would pass maxTotalBytes ${this.budget.limit}; reading stopped (possible zip bomb)`, at);
    }
    this.budget.used += chunk.length;
    this.bytes += chunk.length;
    this.#crc = crc32(chunk, this.#crc);
    return undefined;
  }

  /** The entry holds more than it declares (found from the bytes read so far). */
  overflow(): Error {
    return new ZipError('FBS_ZIP_CORRUPT', `false size: the entry holds more than the ${this.declared} bytes the archive declares`, { ...this.place, offset: this.bytes });
  }

  end(): Error | undefined {
    const at = { ...this.place, offset: this.bytes };
    if (this.bytes !== this.declared) {
      return new ZipError('FBS_ZIP_CORRUPT', `false size: the entry ends after ${this.bytes} bytes, the archive declares ${this.declared}`, at);
    }
    if (this.#crc !== this.crc) {
      return new ZipError('FBS_ZIP_CORRUPT', `CRC-32 mismatch: the archive records ${hex(this.crc)}, the data gives ${hex(this.#crc)}`, at);
    }
    return undefined;
  }
}

/** Passes the entry's bytes on through an {@link EntryTally}; a fault errors the stream before `end`. */
export class EntryCheck extends Transform {
  readonly tally: EntryTally;
  constructor(tally: EntryTally) {
    super({ readableHighWaterMark: READ_CHUNK, writableHighWaterMark: READ_CHUNK });
    this.tally = tally;
  }

  get place(): ZipPlace & { entry: string } {
    return this.tally.place;
  }

  get bytes(): number {
    return this.tally.bytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(this.tally.add(chunk), chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.tally.end());
  }
}
