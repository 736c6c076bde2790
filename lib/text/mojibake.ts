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

export function repairMojibake(s: string): string {
  // Most strings are ASCII: one regex scan (~50 ns) and out.
  if (!HAS_HIGH.test(s) || BEYOND_LATIN1.test(s)) return s;
  try {
    return strictUtf8.decode(Buffer.from(s, 'latin1'));
  } catch {
    return s;
  }
}

/** Meta's writing of a real string: its UTF-8 bytes as Latin-1 chars (what LangChain compares). */
export function toMojibake(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
