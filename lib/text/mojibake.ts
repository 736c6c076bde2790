/**
 * Meta writes every non-ASCII UTF-8 byte as its own `\u00XX` escape, so parsed strings hold UTF-8
 * bytes as Latin-1 code points (docs/formats.md#mojibake). Repair only when that reading is
 * certain: every char <= 0xFF and the bytes are strict UTF-8. Anything else (real text with curly
 * quotes, a lone Latin-1 "é") is left alone.
 */
// ignoreBOM: a U+FEFF that starts a text is data, not a byte-order mark to drop
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const HAS_HIGH = /[^\x00-\x7f]/;
const BEYOND_LATIN1 = /[^\x00-\xff]/;

/**
 * The bytes of a string to repair are written here and decoded from a view of their length: no
 * buffer made per string (hundreds of thousands in an export). Views of the short lengths are kept.
 */
const SCRATCH_BYTES = 16 * 1024;
const KEPT_VIEWS = 512;
const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
const views: (Buffer | undefined)[] = [];

function latin1Bytes(s: string): Buffer {
  const n = s.length;
  if (n > SCRATCH_BYTES) return Buffer.from(s, 'latin1');
  scratch.write(s, 0, n, 'latin1');
  if (n > KEPT_VIEWS) return scratch.subarray(0, n);
  return (views[n] ??= scratch.subarray(0, n));
}

export function repairMojibake(s: string): string {
  // Most strings are ASCII: one regex scan (~50 ns) and out.
  if (!HAS_HIGH.test(s) || BEYOND_LATIN1.test(s)) return s;
  try {
    return strictUtf8.decode(latin1Bytes(s));
  } catch {
    return s;
  }
}

/** Meta's writing of a real string: its UTF-8 bytes as Latin-1 chars (what LangChain compares). */
export function toMojibake(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
