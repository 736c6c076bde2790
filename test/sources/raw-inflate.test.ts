import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import t from 'tap';
import { createRawInflater, rawInflaterOf, verifiedInflaters, type Inflater, type RawInflater } from '../../lib/sources/raw-inflate.js';

function inflater(): RawInflater {
  const z = createRawInflater();
  if (!z) throw new Error('this Node has no synchronous inflate handle');
  return z;
}

/**
 * Inflate `deflated`, handing it over `inStep` bytes at a time (`last` with the final slice) into
 * an `outBytes` buffer, as zip.ts does: more input only once the last is taken, the end at a call
 * that moves nothing. Throws what the inflater throws.
 */
function inflateAll(deflated: Buffer, inStep: number, outBytes: number): Buffer {
  const z = inflater();
  const out = Buffer.alloc(outBytes);
  const parts: Buffer[] = [];
  let at = 0;
  let end = 0;
  try {
    for (;;) {
      if (at === end && end < deflated.length) end = Math.min(deflated.length, end + inStep);
      const step = z.inflate(deflated, at, end - at, out, 0, end === deflated.length);
      at += step.consumed;
      if (step.produced > outBytes) throw new Error('produced past the buffer');
      parts.push(Buffer.from(out.subarray(0, step.produced)));
      if (step.produced === 0 && step.consumed === 0) return Buffer.concat(parts);
    }
  } finally {
    z.close();
  }
}

t.test('the same bytes as inflateRawSync, whatever the input and output slices', async (t) => {
  const text = Buffer.from(Array.from({ length: 3000 }, (_, i) => `{"content": "caf\u00c3\u00a9 ${i}"}`).join(',\n'));
  const cases = [
    ['text', text],
    ['noise (stored blocks)', randomBytes(100_000)],
    ['empty', Buffer.alloc(0)],
    ['zeros (ratio ~1000)', Buffer.alloc(2_000_000)],
  ] as const;
  for (const [what, content] of cases) {
    const deflated = deflateRawSync(content);
    for (const [inStep, outBytes] of [[1, 32 * 1024], [16 * 1024, 1], [7, 7], [16 * 1024, 32 * 1024], [deflated.length + 1, 100_000]] as const) {
      if (outBytes === 1 && content.length > 200_000) continue; // a call per byte: slow, and no different
      t.ok(inflateAll(deflated, inStep, outBytes).equals(content), `${what}: ${inStep}-byte input slices, ${outBytes}-byte output`);
    }
  }
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 3000 }), (bytes, level, inStep, outBytes) => {
        const content = Buffer.from(bytes);
        return inflateAll(deflateRawSync(content, { level }), inStep, outBytes).equals(content);
      }),
    ),
  );
});

t.test('corrupt or cut data throws zlib\'s error, and throws it again', async (t) => {
  const deflated = deflateRawSync(Buffer.from('{"messages": []}'.repeat(100)));
  const z = inflater();
  const out = Buffer.alloc(1024);
  const bad = Buffer.from([0xff, 0xff, 0xff, 0xff]); // block type 3: invalid
  t.throws(() => z.inflate(bad, 0, bad.length, out, 0, false), { code: 'Z_DATA_ERROR', message: /invalid block type/ });
  t.throws(() => z.inflate(deflated, 0, deflated.length, out, 0, true), { code: 'Z_DATA_ERROR' }, 'the same error on the next call');
  z.close();

  const cut = inflater();
  const half = deflated.length >> 1;
  t.doesNotThrow(() => cut.inflate(deflated, 0, half, Buffer.alloc(100_000), 0, false), 'not the last slice: more may come');
  t.throws(() => cut.inflate(deflated, half, 0, Buffer.alloc(100_000), 0, true), { code: 'Z_BUF_ERROR', message: /unexpected end of file/ });
  cut.close();
});

t.test('bytes after the end of the stream are left: a call then moves nothing', async (t) => {
  const content = Buffer.from('x'.repeat(1000));
  const data = Buffer.concat([deflateRawSync(content), Buffer.from('trailing garbage')]);
  const z = inflater();
  const out = Buffer.alloc(4096);
  const first = { ...z.inflate(data, 0, data.length, out, 0, false) };
  t.equal(first.produced, content.length);
  t.equal(first.consumed, data.length - 'trailing garbage'.length, 'the trailing bytes are not taken');
  t.same({ ...z.inflate(data, first.consumed, data.length - first.consumed, out, 0, true) }, { produced: 0, consumed: 0 });
  z.close();
});

t.test('output from outOff on, the bytes before it untouched', async (t) => {
  const content = Buffer.from('{"messages": []}'.repeat(100));
  const deflated = deflateRawSync(content);
  const z = inflater();
  const out = Buffer.alloc(content.length + 5, 0xaa);
  const step = z.inflate(deflated, 0, deflated.length, out, 5, true);
  t.same({ ...step }, { produced: content.length, consumed: deflated.length });
  t.ok(out.subarray(0, 5).equals(Buffer.alloc(5, 0xaa)), 'the first 5 bytes as they were');
  t.ok(out.subarray(5).equals(content));
  z.close();
});

t.test('misuse throws, never reaches the handle (whose checks would abort the process)', async (t) => {
  const z = inflater();
  const input = Buffer.alloc(10);
  t.throws(() => z.inflate(input, 5, 6, Buffer.alloc(10), 0, false), RangeError, 'input bounds');
  t.throws(() => z.inflate(input, -1, 1, Buffer.alloc(10), 0, false), RangeError);
  t.throws(() => z.inflate(input, 0, 1, Buffer.alloc(0), 0, false), RangeError, 'no room for output');
  t.throws(() => z.inflate(input, 0, 1, Buffer.alloc(10), 10, false), RangeError, 'no room past outOff');
  t.throws(() => z.inflate(input, 0, 1, Buffer.alloc(10), -1, false), RangeError, 'outOff before the buffer');
  z.close();
  z.close();
  t.throws(() => z.inflate(input, 0, 1, Buffer.alloc(10), 0, false), /inflater closed/);
});

t.test('a zlib object without the handle we know gives null, and is closed', async (t) => {
  let closed = 0;
  const close = () => void ++closed;
  t.equal(rawInflaterOf({ close }), null, 'no _handle');
  t.equal(rawInflaterOf({ close, _handle: {}, _writeState: new Uint32Array(2) } as never), null, 'no writeSync');
  t.equal(rawInflaterOf({ close, _handle: { writeSync() {} }, _writeState: [0, 0] } as never), null, 'no write state');
  t.equal(closed, 3);
});

t.test('the raw path is trusted once it inflated the known sample right, and never after it did not', async (t) => {
  let made = 0;
  const real = () => {
    made++;
    return inflater();
  };
  const create = verifiedInflaters(real);
  const first = create();
  t.ok(first, 'a working inflater once the sample came out right');
  t.equal(made, 2, 'one inflater for the check, one for the caller');
  first!.close();
  create()!.close();
  t.equal(made, 3, 'checked once, not per inflater');

  /** Inflates, then changes one byte of what it produced: what a changed zlib handle could do. */
  const wrongBytes = (): Inflater => {
    const z = inflater();
    return {
      inflate(input, inOff, inLen, out, outOff, last) {
        const step = z.inflate(input, inOff, inLen, out, outOff, last);
        if (step.produced > 0) out[outOff] = out[outOff]! ^ 0x20;
        return step;
      },
      close: () => z.close(),
    };
  };
  const throwing = (): Inflater => ({
    inflate() {
      throw new TypeError('writeSync is not a function');
    },
    close() {},
  });
  /** Counts that do not add up: more consumed than it was given. */
  const overcounting = (): Inflater => {
    const z = inflater();
    return { inflate: (...args) => ({ ...z.inflate(...args), consumed: args[2] + 1 }), close: () => z.close() };
  };
  for (const [what, make] of [['wrong bytes', wrongBytes], ['a throw', throwing], ['bad counts', overcounting], ['no inflater', () => null]] as const) {
    let calls = 0;
    const faulty = verifiedInflaters(() => {
      calls++;
      return make();
    });
    t.equal(faulty(), null, `${what}: null (the caller reads the entry as a stream)`);
    t.equal(faulty(), null, `${what}: null again`);
    t.equal(calls, 1, `${what}: the raw path is not tried again`);
  }

  let called = 0;
  const off = verifiedInflaters(() => {
    called++;
    return inflater();
  }, false);
  t.equal(off(), null, 'switched off: null');
  t.equal(called, 0, 'switched off: the raw path is never tried');
});
