/**
 * Synchronous streaming raw inflate, straight into the caller's buffer, through node:zlib's own
 * handle. Node has no public API for it: `inflateRawSync` wants the whole input at once, and a
 * zlib stream inflates on the thread pool (a round trip per chunk, measured in zip.ts). The
 * handle under every zlib stream does have one: `writeSync(flush, in, inOff, inLen, out, outOff,
 * outLen)`, which `inflateRawSync` itself runs on, with the counts left in `_writeState`
 * ([availOut, availIn]). minizlib (node-tar's) drives the same handle through `_processChunk`,
 * which hands back new buffers that minizlib copies again; inflating into the reader's own buffer
 * instead reads the 2 GB bench export's zips in ~2.2 s rather than ~3.3 (one core, CRC-32
 * included), and leaves no 32 KiB buffer per 32 KiB of JSON for the garbage collector.
 *
 * Private API, so checked when an inflater is made: where this Node's handle differs,
 * {@link createRawInflater} returns null and the caller reads the entry as a stream instead.
 * The handle's own CHECKs abort the process on bad arguments (a closed handle, bounds past a
 * buffer), so {@link RawInflater.inflate} checks them first.
 */
import { constants, createInflateRaw } from 'node:zlib';

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

export class RawInflater {
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

/** A raw (zip method 8) inflater, or null where node:zlib's handle is not as expected. */
export function createRawInflater(): RawInflater | null {
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
