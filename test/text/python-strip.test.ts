/** lib/text/python-strip.ts: Python's `str.strip()` / `str.rstrip()` with no argument, as LangChain's merge uses them. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import t from 'tap';
import { isPythonSpace, pythonRstrip, pythonStrip } from '../../lib/text/python-strip.js';

/** Every code point whose `str.isspace()` is true (CPython 3.11: `[c for c in range(0x110000) if chr(c).isspace()]`). */
const PYTHON_SPACES = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);
const spaceChar = fc.constantFrom(...[...PYTHON_SPACES].map((c) => String.fromCharCode(c)));
const spaces = fc.array(spaceChar, { maxLength: 4 }).map((a) => a.join(''));
/** Any text, biased towards the characters where Python and JavaScript disagree. */
const text = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.oneof(spaceChar, fc.constantFrom('\ufeff', '\u180e', '\u200b', 'a', '🎉', '\ud800')) }),
);

t.test('isPythonSpace is exactly str.isspace() on every UTF-16 code unit', async (t) => {
  const wrong: string[] = [];
  for (let c = 0; c <= 0xffff; ++c) if (isPythonSpace(c) !== PYTHON_SPACES.has(c)) wrong.push(c.toString(16));
  t.same(wrong, []);
});

t.test('where Python and String.prototype.trim differ: \\x1c-\\x1f and \\x85 go, U+FEFF stays', async (t) => {
  t.equal(pythonStrip('\x1c\x1d a \x1e\x1f'), 'a');
  t.equal('\x1ca\x1c'.trim(), '\x1ca\x1c', 'trim keeps them');
  t.equal(pythonStrip('\x85a\x85'), 'a');
  t.equal(pythonStrip('\ufeffa\ufeff'), '\ufeffa\ufeff', 'a byte-order mark is not space to Python');
  t.equal(pythonStrip('\u180ea\u200b'), '\u180ea\u200b', 'nor the Mongolian vowel separator, nor a zero-width space');
  t.equal(pythonStrip('\u3000\u2028a b\u2029\u00a0'), 'a b', 'ideographic space, line and paragraph separators, no-break space');
});

t.test('edges: empty, all space, nothing to strip, emoji at the ends', async (t) => {
  t.equal(pythonStrip(''), '');
  t.equal(pythonRstrip(''), '');
  t.equal(pythonStrip(' \t\n\r\v\f'), '');
  t.equal(pythonRstrip(' \t\n '), '');
  t.equal(pythonStrip('a'), 'a');
  t.equal(pythonStrip('a  b'), 'a  b', 'inner space stays');
  t.equal(pythonStrip('\n🎉 ok 🎉\n'), '🎉 ok 🎉', 'surrogate pairs are not cut');
  t.equal(pythonRstrip('  a  '), '  a', 'rstrip keeps the left side');
  t.equal(pythonStrip('\ud800 '), '\ud800', 'a lone surrogate is kept as it is');
});

t.test('property: the same as stripping the runs of str.isspace() characters at the ends', async (t) => {
  const reference = (s: string, left: boolean) => {
    let start = 0;
    let end = s.length;
    while (left && start < end && PYTHON_SPACES.has(s.charCodeAt(start))) ++start;
    while (end > start && PYTHON_SPACES.has(s.charCodeAt(end - 1))) --end;
    return s.slice(start, end);
  };
  t.doesNotThrow(() => fc.assert(fc.property(text, (s) => {
    assert.equal(pythonStrip(s), reference(s, true));
    assert.equal(pythonRstrip(s), reference(s, false));
  }), { numRuns: 500 }));
});

t.test('property: padding with space is undone; strip is idempotent; rstrip gives a prefix', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(spaces, text, spaces, (before, s, after) => {
    const core = pythonStrip(s);
    assert.equal(pythonStrip(before + core + after), core);
    assert.equal(pythonStrip(core), core);
    const r = pythonRstrip(s);
    assert.ok(s.startsWith(r));
    assert.equal(pythonStrip(s.slice(r.length)), '', 'only space was cut');
    assert.equal(pythonRstrip(core + after), core);
  }), { numRuns: 500 }));
});
