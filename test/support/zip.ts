/**
 * Zip archives for tests: well-formed ones written by yazl, and hand-written ones whose every header
 * field can lie (names, flags, sizes, CRC, modes, ZIP64, entries placed past 4 GiB in a sparse file).
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { Readable } from 'node:stream';
import { crc32, deflateRawSync } from 'node:zlib';
import yazl from 'yazl';

/** One entry of a hand-written archive. Unset header fields are computed from the data. */
export interface RawEntry {
  /** Stored as given (a string is written as UTF-8 with general purpose bit 11 set). */
  name: string | Buffer;
  /** The file's bytes; deflated when `method` is 8 (the default), unless `data` is given. */
  content?: string | Buffer;
  /** The bytes written as the entry's data, as-is (already compressed, or corrupt on purpose). */
  data?: Buffer;
  /** Data of this many bytes that is never written: it stays a hole of a sparse file. */
  holeSize?: number;
  method?: number;
  flags?: number;
  crc32?: number;
  compressedSize?: number;
  uncompressedSize?: number;
  /** Default 0x031e: made on unix, zip 3.0. */
  versionMadeBy?: number;
  /** Default: a regular file, mode 0644 (`0o100644 << 16`). */
  externalAttributes?: number;
  /** Write the sizes and offset as ZIP64 extra fields even when they fit in 32 bits. */
  zip64?: boolean;
  /** Absolute offset of the local header; the bytes between the previous entry and it are a hole. */
  offset?: number;
  /** An extra field in the local header only (writers may put other extra fields there than in the central directory). */
  localExtra?: Buffer;
}

export interface RawZipOptions {
  /** Write the ZIP64 end records even when nothing needs them. */
  zip64?: boolean;
  /** Entry count written in the end record (e.g. wrapped at 65,536 like old writers did). */
  entryCount?: number;
}

export interface ZipLayout {
  segments: { offset: number; bytes: Buffer }[];
  size: number;
}

const U32 = 0xffffffff;
export const S_IFREG = 0o100644 << 16;
export const S_IFLNK = 0o120777 << 16;

/** Where every byte of a hand-written archive goes. */
export function layoutZip(entries: readonly RawEntry[], options: RawZipOptions = {}): ZipLayout {
  const segments: ZipLayout['segments'] = [];
  const central: Buffer[] = [];
  let cursor = 0;
  for (const e of entries) {
    const name = typeof e.name === 'string' ? Buffer.from(e.name, 'utf8') : e.name;
    const method = e.method ?? 8;
    const content = e.content === undefined ? undefined : Buffer.from(e.content);
    const data = e.data ?? (content === undefined ? Buffer.alloc(0) : method === 8 ? deflateRawSync(content) : content);
    const dataLength = e.holeSize ?? data.length;
    const crc = e.crc32 ?? (content ? crc32(content) : e.holeSize === undefined ? crc32(data) : 0);
    const compressed = e.compressedSize ?? dataLength;
    const uncompressed = e.uncompressedSize ?? (content?.length ?? dataLength);
    const offset = e.offset ?? cursor;
    if (offset < cursor) throw new Error(`entry offset ${offset} overlaps the previous entry (ends at ${cursor})`);
    const big = e.zip64 || compressed >= U32 || uncompressed >= U32 || offset >= U32;
    const flags = e.flags ?? (typeof e.name === 'string' ? 0x800 : 0);
    const needed = big ? 45 : 20;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(needed, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x6000, 10); // 12:00
    local.writeUInt16LE(0x5a21, 12); // 2025-01-01
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(big ? U32 : compressed, 18);
    local.writeUInt32LE(big ? U32 : uncompressed, 22);
    local.writeUInt16LE(name.length, 26);
    const localExtra = Buffer.concat([big ? zip64Extra([uncompressed, compressed]) : Buffer.alloc(0), e.localExtra ?? Buffer.alloc(0)]);
    local.writeUInt16LE(localExtra.length, 28);
    const header = Buffer.concat([local, name, localExtra]);
    segments.push({ offset, bytes: e.holeSize === undefined ? Buffer.concat([header, data]) : header });
    cursor = offset + header.length + dataLength;

    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(e.versionMadeBy ?? 0x031e, 4);
    cd.writeUInt16LE(needed, 6);
    cd.writeUInt16LE(flags, 8);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt16LE(0x6000, 12);
    cd.writeUInt16LE(0x5a21, 14);
    cd.writeUInt32LE(crc >>> 0, 16);
    cd.writeUInt32LE(big ? U32 : compressed, 20);
    cd.writeUInt32LE(big ? U32 : uncompressed, 24);
    cd.writeUInt16LE(name.length, 28);
    const cdExtra = big ? zip64Extra([uncompressed, compressed, offset]) : Buffer.alloc(0);
    cd.writeUInt16LE(cdExtra.length, 30);
    cd.writeUInt16LE(0, 32); // comment
    cd.writeUInt16LE(0, 34); // disk
    cd.writeUInt16LE(0, 36); // internal attributes
    cd.writeUInt32LE((e.externalAttributes ?? S_IFREG) >>> 0, 38);
    cd.writeUInt32LE(big ? U32 : offset, 42);
    central.push(cd, name, cdExtra);
  }

  const cdOffset = cursor;
  const cdBytes = Buffer.concat(central);
  const count = options.entryCount ?? entries.length;
  const zip64 = options.zip64 || count >= 0xffff || cdOffset >= U32 || cdBytes.length >= U32;
  const tail: Buffer[] = [cdBytes];
  if (zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    writeU64(record, 44, 4);
    record.writeUInt16LE(0x031e, 12);
    record.writeUInt16LE(45, 14);
    writeU64(record, count, 24);
    writeU64(record, count, 32);
    writeU64(record, cdBytes.length, 40);
    writeU64(record, cdOffset, 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    writeU64(locator, cdOffset + cdBytes.length, 8);
    locator.writeUInt32LE(1, 16);
    tail.push(record, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : count & 0xffff, 8);
  end.writeUInt16LE(zip64 ? 0xffff : count & 0xffff, 10);
  end.writeUInt32LE(zip64 ? U32 : cdBytes.length, 12);
  end.writeUInt32LE(zip64 ? U32 : cdOffset, 16);
  tail.push(end);
  const tailBytes = Buffer.concat(tail);
  segments.push({ offset: cdOffset, bytes: tailBytes });
  return { segments, size: cdOffset + tailBytes.length };
}

/** A hand-written archive in memory (holes become zeros). */
export function rawZip(entries: readonly RawEntry[], options?: RawZipOptions): Buffer {
  const { segments, size } = layoutZip(entries, options);
  const out = Buffer.alloc(size);
  for (const s of segments) s.bytes.copy(out, s.offset);
  return out;
}

/** A hand-written archive on disk; holes are never written, so a 5 GiB archive takes a few KiB. */
export function writeRawZip(path: string, entries: readonly RawEntry[], options?: RawZipOptions): number {
  const { segments, size } = layoutZip(entries, options);
  const fd = openSync(path, 'w');
  try {
    for (const s of segments) writeSync(fd, s.bytes, 0, s.bytes.length, s.offset);
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
  return size;
}

export interface YazlFile {
  name: string;
  content: string | Buffer;
  /** Default true; false stores the entry. */
  compress?: boolean;
  /** Write it from a stream: sizes and CRC-32 then follow the data (general purpose bit 3). */
  stream?: boolean;
}

/** A well-formed archive written by yazl. */
export async function yazlZip(files: readonly YazlFile[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const f of files) {
    const options = { compress: f.compress ?? true, mtime: new Date(0) };
    if (f.stream) zip.addReadStream(Readable.from([Buffer.from(f.content)]), f.name, options);
    else zip.addBuffer(Buffer.from(f.content), f.name, options);
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Deflate data that zlib refuses at its first byte (BFINAL=1, BTYPE=11: "invalid block type"). */
export const CORRUPT_DEFLATE = Buffer.from([0x07, 0x00, 0x00, 0x00]);

/** A copy with one byte inverted. */
export function flipByte(bytes: Buffer, at: number): Buffer {
  const out = Buffer.from(bytes);
  out[at] = out[at]! ^ 0xff;
  return out;
}

/** Offset of the first byte of `needle` in `haystack` (throws if absent), to aim a corruption. */
export function offsetOf(haystack: Buffer, needle: string | Buffer): number {
  const at = haystack.indexOf(needle);
  if (at < 0) throw new Error(`not found: ${String(needle)}`);
  return at;
}

function zip64Extra(values: number[]): Buffer {
  const out = Buffer.alloc(4 + 8 * values.length);
  out.writeUInt16LE(0x0001, 0);
  out.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => writeU64(out, v, 4 + 8 * i));
  return out;
}

function writeU64(buffer: Buffer, value: number, at: number): void {
  buffer.writeBigUInt64LE(BigInt(value), at);
}
