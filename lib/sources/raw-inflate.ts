/**
 * Synchronous streaming raw inflate, straight into the caller's buffer, through node:zlib's own
 * handle. Node has no public API for it: `inflateRawSync` wants the whole input at once, and a
 * zlib stream inflates on the thread pool (a round trip per chunk). The handle under every zlib
 * stream does have one: `writeSync(flush, in, inOff, inLen, out, outOff, outLen)`, which
 * `inflateRawSync` itself runs on, with the counts left in `_writeState` ([availOut, availIn]).
 * Inflating into the reader's own buffer reads zipped exports markedly faster than a stream and
 * leaves no buffer per chunk for the garbage collector (docs/performance.md#reading-input).
 *
 * Private API, so trusted only by behaviour: {@link createRawInflater} first inflates a known
 * sample through it, and where that fails or differs it returns null for the rest of the process
 * (the caller then reads entries as zlib streams). The handle's own CHECKs abort the process on
 * bad arguments (a closed handle, bounds past a buffer), so {@link RawInflater.inflate} checks them first.
 */
import { constants, createInflateRaw, deflateRawSync } from 'node:zlib';

interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  onerror: (message: string, errno: number, code?: string) => void;
}

interface ZlibInternals {
  _handle?: Partial<ZlibHandle> | null;
  _writeState?: unknown;
  close(): void;
}

/** What one {@link RawInflater.inflate} call did. */
export interface InflateStep {
  /** Bytes written to `out`, from `outOff`. */
  produced: number;
  /** Input bytes taken. */
  consumed: number;
}

export class RawInflater implements Inflater {
  readonly #zlib: ZlibInternals;
  readonly #handle: ZlibHandle;
  readonly #state: Uint32Array;
  #error: Error | undefined;
  #closed = false;
  readonly #step: InflateStep = { produced: 0, consumed: 0 };

  constructor(zlib: ZlibInternals, handle: ZlibHandle, state: Uint32Array) {
    this.#zlib = zlib;
    this.#handle = handle;
    this.#state = state;
    // the handle reports a fault (corrupt data; "unexpected end of file" when `last` came too
    // early) through this callback, from inside writeSync
    handle.onerror = (message, errno, code) => {
      this.#error ??= Object.assign(new Error(message), { errno, code: code ?? 'Z_DATA_ERROR' });
    };
  }

  /**
   * Inflate `input[inOff, inOff + inLen)` into `out` from `outOff`, as much as fits. `last`: no
   * input follows, so a deflate stream not complete here is an error. Throws zlib's error (with its
   * `code`) on corrupt data, and again on every later call. The result is reused by the next call.
   */
  inflate(input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, last: boolean): InflateStep {
    if (this.#error) throw this.#error;
    if (this.#closed) throw new Error('inflater closed');
    const room = out.length - outOff;
    if (!(inOff >= 0 && inLen >= 0 && inOff + inLen <= input.length && outOff >= 0 && room > 0)) throw new RangeError('inflate: bounds outside the buffers');
    this.#handle.writeSync(last ? constants.Z_FINISH : constants.Z_NO_FLUSH, input, inOff, inLen, out, outOff, room);
    if (this.#error) throw this.#error;
    this.#step.produced = room - this.#state[0]!;
    this.#step.consumed = inLen - this.#state[1]!;
    return this.#step;
  }

  /** Frees zlib's state. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#zlib.close();
  }
}

/** What the zip reader needs of an inflater; {@link RawInflater} is the one that counts. */
export interface Inflater {
  inflate(input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, last: boolean): InflateStep;
  close(): void;
}

/** FBSTREAM_NO_RAW_INFLATE=1 turns the raw path off (zip entries are then inflated by zlib streams); read once. */
const RAW_INFLATE_OFF = process.env['FBSTREAM_NO_RAW_INFLATE'] === '1';

/**
 * A raw (zip method 8) inflater, or null: switched off, or the raw path failed its check on this
 * Node (see {@link verifiedInflaters}).
 */
export const createRawInflater: () => RawInflater | null = verifiedInflaters(newRawInflater, !RAW_INFLATE_OFF);

/**
 * `make`, trusted only once its first inflater inflated {@link SAMPLE} to the right bytes: until
 * then, and forever after a failure (wrong bytes, a throw, null), the result gives null.
 * `enabled` false: null from the start, `make` never called.
 */
export function verifiedInflaters<T extends Inflater>(make: () => T | null, enabled = true): () => T | null {
  let works = enabled ? undefined : false;
  return () => {
    works ??= inflatesSample(make);
    return works ? make() : null;
  };
}

/** JSON-like text (back references) and noise (literals): fed 500 bytes at a time into a 1000-byte buffer. */
const SAMPLE_TEXT = Buffer.concat([
  Buffer.from(Array.from({ length: 200 }, (_, i) => `{"sender_name": "Zo\u00c3\u00ab", "content": "caf\u00c3\u00a9 ${i}"}`).join(',')),
  Buffer.from(Array.from({ length: 2000 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 24) & 0xff)),
]);
const SAMPLE = deflateRawSync(SAMPLE_TEXT);

/** True when `make` gives an inflater that turns SAMPLE back into SAMPLE_TEXT, step by step, with counts that add up. */
function inflatesSample(make: () => Inflater | null): boolean {
  let inflater: Inflater | null = null;
  try {
    inflater = make();
    if (!inflater) return false;
    const out = Buffer.alloc(1000);
    const got = Buffer.alloc(SAMPLE_TEXT.length);
    let filled = 0;
    for (let at = 0, end = 0; ; ) {
      if (at === end && end < SAMPLE.length) end = Math.min(SAMPLE.length, end + 500);
      const { produced, consumed } = inflater.inflate(SAMPLE, at, end - at, out, 0, end === SAMPLE.length);
      if (produced === 0 && consumed === 0) break;
      if (!(produced >= 0 && consumed >= 0 && consumed <= end - at && filled + produced <= got.length)) return false;
      if (produced > 0) filled += out.copy(got, filled, 0, produced);
      at += consumed;
    }
    return filled === got.length && got.equals(SAMPLE_TEXT);
  } catch {
    return false;
  } finally {
    try {
      inflater?.close();
    } catch {
      // a failed inflater is dropped either way
    }
  }
}

/** A raw inflater over a new InflateRaw's handle; null where node:zlib's handle is not as expected. */
function newRawInflater(): RawInflater | null {
  // the smallest chunkSize: the stream's own output buffer is never used
  return rawInflaterOf(createInflateRaw({ chunkSize: constants.Z_MIN_CHUNK }));
}

/** An inflater over a node:zlib InflateRaw's handle; null (and `zlib` closed) when it has none we know. */
export function rawInflaterOf(zlib: { close(): void }): RawInflater | null {
  const { _handle: handle, _writeState: state } = zlib as ZlibInternals;
  if (!handle || typeof handle.writeSync !== 'function' || !(state instanceof Uint32Array) || state.length < 2) {
    zlib.close();
    return null;
  }
  return new RawInflater(zlib, handle as ZlibHandle, state);
}
