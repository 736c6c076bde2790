/**
 * lib/validate/line-splitter.ts: lines numbered from 1, CRLF, a BOM at the start, blank lines, a
 * last line without newline, lines over the cap reported, not kept; and the same lines for any
 * chunking (bytes one at a time, random cuts), against a plain reference on the whole input.
 */
import t from 'tap';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLineSplitter, type SplitLine } from '../../lib/validate/line-splitter.js';
import { splitAt } from '../support/chunks.js';

function splitChunks(chunks: Uint8Array[], maxLineBytes?: number): SplitLine[] {
  const splitter = createLineSplitter(maxLineBytes === undefined ? {} : { maxLineBytes });
  const out: SplitLine[] = [];
  for (const c of chunks) out.push(...splitter.push(c));
  out.push(...splitter.flush());
  return out;
}

const split = (input: string | Buffer, maxLineBytes?: number) => splitChunks([Buffer.from(input)], maxLineBytes);
const bytesOneAtATime = (b: Buffer) => [...b].map((x) => Uint8Array.of(x));

/** The rules said plainly, on the whole input at once. */
function reference(bytes: Buffer, maxLineBytes: number): SplitLine[] {
  let b = bytes;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
  const pieces: Buffer[] = [];
  let from = 0;
  for (let lf = b.indexOf(10); lf >= 0; lf = b.indexOf(10, from)) {
    pieces.push(b.subarray(from, lf));
    from = lf + 1;
  }
  if (from < b.length) pieces.push(b.subarray(from));
  return pieces.map((p, i) => {
    const line = p.at(-1) === 13 ? p.subarray(0, -1) : p;
    return line.length > maxLineBytes ? { kind: 'too-long', lineNumber: i + 1, bytes: line.length } : { kind: 'line', lineNumber: i + 1, text: line.toString('utf8') };
  });
}

const texts = (lines: SplitLine[]) => lines.map((l) => (l.kind === 'line' ? l.text : `<too long: ${l.bytes}>`));

t.test('lines numbered from 1; CRLF; the last line without newline; a trailing newline makes no extra line', async (t) => {
  t.same(split('a\nb'), [{ kind: 'line', lineNumber: 1, text: 'a' }, { kind: 'line', lineNumber: 2, text: 'b' }]);
  t.same(texts(split('a\r\nb\r\n')), ['a', 'b']);
  t.same(texts(split('a\n')), ['a']);
  t.same(split(''), []);
  t.same(texts(split('a\r\r\n')), ['a\r'], 'only the CR right before LF is a line ending');
});

t.test('blank lines are lines (the validator reports them)', async (t) => {
  t.same(split('a\n\n\r\nb\n\n'), [
    { kind: 'line', lineNumber: 1, text: 'a' },
    { kind: 'line', lineNumber: 2, text: '' },
    { kind: 'line', lineNumber: 3, text: '' },
    { kind: 'line', lineNumber: 4, text: 'b' },
    { kind: 'line', lineNumber: 5, text: '' },
  ]);
});

t.test('a BOM at the very start is dropped, one elsewhere is kept', async (t) => {
  const bom = '\ufeff';
  t.same(texts(split(`${bom}{"a":1}\n${bom}{}`)), ['{"a":1}', `${bom}{}`]);
  t.same(split(bom), [], 'a file of just a BOM has no line');
  t.same(texts(splitChunks(bytesOneAtATime(Buffer.from(`${bom}x`)))), ['x'], 'a BOM split over chunks');
  t.same(texts(split(Buffer.from([0xef, 0xbb]))), ['\ufffd'], 'two bytes of a BOM only: not a BOM');
});

t.test('a line over the cap is reported with its number and length, the next lines are read', async (t) => {
  t.same(split('abc\n0123456789\nxy', 5), [
    { kind: 'line', lineNumber: 1, text: 'abc' },
    { kind: 'too-long', lineNumber: 2, bytes: 10 },
    { kind: 'line', lineNumber: 3, text: 'xy' },
  ]);
  t.same(split('12345\r\n123456\r\n', 5), [
    { kind: 'line', lineNumber: 1, text: '12345' },
    { kind: 'too-long', lineNumber: 2, bytes: 6 },
  ], 'the CR is not part of the length');
  t.same(splitChunks(bytesOneAtATime(Buffer.from('0123456789')), 5), [{ kind: 'too-long', lineNumber: 1, bytes: 10 }], 'the last line, over the cap, fed byte by byte');
});

t.test('multi-byte characters cut between chunks come out whole', async (t) => {
  const input = Buffer.from('{"c":"你好 😀 é"}\n{"c":"👩‍👩‍👧"}\n');
  t.same(texts(splitChunks(bytesOneAtATime(input))), ['{"c":"你好 😀 é"}', '{"c":"👩‍👩‍👧"}']);
});

t.test('the caller may reuse its buffer after push: held bytes are copies', async (t) => {
  const splitter = createLineSplitter();
  const buf = Buffer.from('abc');
  t.same(splitter.push(buf), []);
  buf.fill(0x7a); // "zzz"
  t.same(texts([...splitter.push(Buffer.from('d\n')), ...splitter.flush()]), ['abcd']);
});

const lineArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('', '\r', '{"messages":[]}', '你好😀', 'x\ry', '\ufeff{}'),
);
const inputArb = fc.record({
  bom: fc.boolean(),
  lines: fc.array(fc.record({ text: lineArb, crlf: fc.boolean() }), { maxLength: 12 }),
  trailingNewline: fc.boolean(),
});

t.test('any chunking gives the same lines as the reference on the whole input', async (t) => {
  fc.assert(
    fc.property(inputArb, fc.array(fc.nat(), { maxLength: 10 }), fc.constantFrom(4, 8, 64), (input, cuts, cap) => {
      let text = input.lines.map((l) => l.text + (l.crlf ? '\r\n' : '\n')).join('');
      if (!input.trailingNewline) text = text.replace(/\r?\n$/, '');
      const bytes = Buffer.concat([input.bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text)]);
      const expected = reference(bytes, cap);
      assert.deepStrictEqual(splitChunks([bytes], cap), expected, 'one chunk');
      assert.deepStrictEqual(splitChunks(splitAt(bytes, cuts), cap), expected, 'random cuts');
      assert.deepStrictEqual(splitChunks(bytesOneAtATime(bytes), cap), expected, 'one byte at a time');
    }),
    { numRuns: 300 },
  );
  t.pass('300 inputs, each in one chunk, cut at random and one byte at a time');
});
