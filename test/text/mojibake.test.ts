/**
 * lib/text/mojibake.ts: Meta writes each UTF-8 byte of a non-ASCII character as its own `\u00XX`,
 * so a parsed string holds the bytes as Latin-1 characters. Repaired only when that reading is
 * certain (every char <= 0xFF and the bytes strict UTF-8); anything else is left as it is.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import t from 'tap';
import { repairMojibake, toMojibake } from '../../lib/text/mojibake.js';

const latin1Char = fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c));
/** Strings of Latin-1 chars, biased to the lead and continuation bytes of UTF-8. */
const latin1 = fc.string({ unit: fc.oneof(latin1Char, fc.integer({ min: 0x80, max: 0xf4 }).map((c) => String.fromCharCode(c))) });
/** Any well-formed text, with a byte-order mark or an accent at the start now and then. */
const wellFormed = fc
  .tuple(fc.constantFrom('', '\ufeff', 'e\u0301', '🎉'), fc.string({ unit: 'binary' }))
  .map(([a, b]) => a + b)
  .filter((s) => s.isWellFormed());

t.test("Meta's writing is repaired: accents, symbols, emoji", async (t) => {
  t.equal(repairMojibake('Zo\u00c3\u00ab Bront\u00c3\u00ab'), 'Zoë Brontë');
  t.equal(repairMojibake('caf\u00c3\u00a9 \u00e2\u0098\u0095'), 'café ☕');
  t.equal(repairMojibake('\u00f0\u009f\u008e\u0089 \u00f0\u009f\u0098\u0082'), '🎉 😂', 'four-byte characters');
  t.equal(repairMojibake('\u00e4\u00bd\u00a0\u00e5\u00a5\u00bd'), '你好');
  t.equal(repairMojibake(toMojibake('a\ufeffb')), 'a\ufeffb', 'a byte-order mark inside the text');
});

t.test('left alone: empty, ASCII, real text, and strings that look like mojibake but are not UTF-8', async (t) => {
  const alone = [
    '', 'plain ASCII', 'Zoë Brontë', 'café ☕', '🎉', 'it\u2019s \u00c3\u00a9', // a char beyond Latin-1: real text
    'caf\u00e9', // a real Latin-1 é: not a UTF-8 sequence on its own
    '\u00c3', '\u00c3 ', '\u00c3\u00c3', // a lead byte without its continuation
    '\u00a9 2024', // a continuation byte without a lead
    '\u00f0\u009f\u008e', // an emoji cut short
    '\u00c0\u00af', // an overlong "/"
    '\u00ed\u00a0\u0080', // a UTF-16 surrogate written in UTF-8
    '\u00f4\u0090\u0080\u0080', // beyond U+10FFFF
    '\ud800', 'a\udc00b', // lone surrogates
  ];
  for (const s of alone) t.equal(repairMojibake(s), s, JSON.stringify(s));
});

t.test('a Latin-1 text whose bytes happen to be UTF-8 is read as mojibake: the one reading it can have', async (t) => {
  t.equal(repairMojibake('\u00c3\u00a9'), 'é', 'Ã© is é: Meta never writes a real Ã© this way');
});

t.test('a byte-order mark at the start of a text is kept (a strict decoder would drop it)', async (t) => {
  t.equal(repairMojibake(toMojibake('\ufeffhi')), '\ufeffhi');
  t.equal(repairMojibake('\u00ef\u00bb\u00bf'), '\ufeff');
});

t.test('no Unicode normalization: NFC stays NFC, NFD stays NFD', async (t) => {
  const nfc = 'Zo\u00eb';
  const nfd = 'Zoe\u0308';
  t.equal(repairMojibake(toMojibake(nfc)), nfc);
  t.equal(repairMojibake(toMojibake(nfd)), nfd);
  t.not(repairMojibake(toMojibake(nfd)), nfc, 'the comparison of names normalizes, not the repair');
});

t.test('toMojibake: UTF-8 bytes as Latin-1 chars; ASCII unchanged', async (t) => {
  t.equal(toMojibake(''), '');
  t.equal(toMojibake('abc'), 'abc');
  t.equal(toMojibake('Zoë'), 'Zo\u00c3\u00ab');
  t.equal(toMojibake('🎉'), '\u00f0\u009f\u008e\u0089');
});

t.test('property: repairMojibake undoes toMojibake for any well-formed text', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(wellFormed, (s) => {
    const m = toMojibake(s);
    assert.ok(!/[^\x00-\xff]/.test(m), 'only Latin-1 chars');
    assert.equal(m.length, Buffer.byteLength(s, 'utf8'), 'one char per byte');
    assert.equal(repairMojibake(m), s);
  }), { numRuns: 1000 }));
});

t.test('property: whatever is repaired goes back to the same mojibake; text beyond Latin-1 or ASCII is never touched', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.oneof(latin1, fc.string({ unit: 'binary' }), fc.string()), (x) => {
    const r = repairMojibake(x);
    if (r !== x) {
      assert.equal(toMojibake(r), x, 'a repair loses nothing');
      assert.ok(r.length < x.length);
    }
    if (/[^\x00-\xff]/.test(x) || !/[^\x00-\x7f]/.test(x)) assert.equal(r, x);
    if (x.isWellFormed()) assert.ok(r.isWellFormed());
  }), { numRuns: 1000 }));
});

t.test('texts of every size repair alike, one after the other (the bytes go through one reused buffer)', async (t) => {
  const texts = [1, 511, 512, 513, 5000, 16383, 16384, 16385, 40000, 3].map((n, i) => 'é☕'.repeat(n).slice(0, n) + i);
  for (const round of [1, 2]) {
    for (const s of texts) t.equal(repairMojibake(toMojibake(s)), s, `${s.length} chars, round ${round}`);
  }
  const bad = toMojibake('x'.repeat(20000)) + '\u00c3';
  t.equal(repairMojibake(bad + '\u00e9'), bad + '\u00e9', 'not UTF-8 past the buffer: left alone');
});
