import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { createChunker, type ChunkerOptions } from '../../lib/core/chunker.js';
import type { Example, RoleTurn } from '../../lib/types.js';
import { roleTurn, threadInfo } from '../support/messages.js';
import { runStage } from '../support/stage.js';

const th = threadInfo();
/** Turns from a pattern: 'u' user, 'a' assistant; text is the position. */
const turns = (pattern: string, thread = th): RoleTurn[] => [...pattern].map((c, i) => roleTurn(thread, c === 'a' ? 'assistant' : 'user', String(i)));
const chunk = (ts: RoleTurn[], options: ChunkerOptions) => runStage(createChunker(options), [ts]);
const spans = (examples: Example[]) => examples.map((e) => e.messages.filter((m) => m.role !== 'system').map((m) => Number(m.content)));

const langchain: ChunkerOptions = { requireAssistant: 'session', trimTrailingUser: false, short: 'drop', tail: 'drop', sessionHasAssistant: () => undefined };

t.test('langchain: conv[i:i+w] for i in range(0, n-w+1, w-o)', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.stringMatching(/^[ua]{0,40}$/), fc.integer({ min: 1, max: 10 }), fc.nat(), (pattern, window, o) => {
    const overlap = o % window;
    const got = spans(chunk(turns(pattern), { ...langchain, window, overlap }));
    const want: number[][] = [];
    if (pattern.includes('a')) {
      for (let i = 0; i < pattern.length - window + 1; i += window - overlap) want.push(Array.from({ length: window }, (_, k) => i + k));
    }
    assert.deepEqual(got, want);
  }), { numRuns: 500 }));
});

t.test('long sessions (turns dropped as windows pass them): still conv[i:i+w], in batches of any size', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.integer({ min: 100, max: 700 }), fc.integer({ min: 1, max: 10 }), fc.nat(), fc.integer({ min: 1, max: 300 }), (n, window, o, batch) => {
    const overlap = o % window;
    const all = turns('a' + 'u'.repeat(n - 1));
    const batches: RoleTurn[][] = [];
    for (let i = 0; i < all.length; i += batch) batches.push(all.slice(i, i + batch));
    const got = spans(runStage(createChunker({ ...langchain, window, overlap }), batches));
    const want: number[][] = [];
    for (let i = 0; i < n - window + 1; i += window - overlap) want.push(Array.from({ length: window }, (_, k) => i + k));
    assert.deepEqual(got, want);
  }), { numRuns: 100 }));
});

t.test('langchain: a session known to have no assistant is dropped without holding it', async (t) => {
  const out = chunk(turns('uuuuuuuuuu'), { ...langchain, window: 2, overlap: 0, sessionHasAssistant: () => false });
  t.same(out, []);
  t.throws(() => chunk(turns('uuuuuua'), { ...langchain, window: 2, overlap: 0, maxHeldTurns: 3 }), { code: 'FBS_LIMIT' });
});

t.test('defaults: windows of 8 by 6, trailing user turns trimmed, no window without an assistant', async (t) => {
  t.same(spans(chunk(turns('uauauauauauauauauaua'), {})), [
    [0, 1, 2, 3, 4, 5, 6, 7], [6, 7, 8, 9, 10, 11, 12, 13], [12, 13, 14, 15, 16, 17, 18, 19],
  ]);
  t.same(spans(chunk(turns('uauuuuuuuuuuuuuuuuua'), { window: 4, overlap: 1 })), [[0, 1], [16, 17, 18, 19]], 'user-only windows skipped');
});

t.test('defaults: a short session with an assistant turn is one example; without one, none', async (t) => {
  t.same(spans(chunk(turns('uau'), {})), [[0, 1]]);
  t.same(spans(chunk(turns('uuu'), {})), []);
});

t.test('defaults: the tail after the last full window is covered by one more window', async (t) => {
  t.same(spans(chunk(turns('uauauauaua'), { window: 4, overlap: 0 })), [[0, 1, 2, 3], [4, 5, 6, 7], [6, 7, 8, 9]]);
});

t.test('defaults: properties over random sessions, short and long (turns dropped as windows pass them)', async (t) => {
  const patterns = fc.oneof(fc.stringMatching(/^[ua]{0,60}$/), fc.stringMatching(/^[ua]{100,400}$/));
  t.doesNotThrow(() => fc.assert(fc.property(patterns, fc.integer({ min: 1, max: 10 }), fc.nat(), (pattern, window, o) => {
    const overlap = o % window;
    const got = spans(chunk(turns(pattern), { window, overlap }));
    let lastEnd = -1;
    for (const span of got) {
      assert.ok(span.length >= 1 && span.length <= window, 'at most window turns');
      assert.deepEqual(span, Array.from({ length: span.length }, (_, k) => span[0]! + k), 'contiguous');
      assert.equal(pattern[span[span.length - 1]!], 'a', 'ends on an assistant turn');
      assert.ok(span[span.length - 1]! > lastEnd, 'each example adds a later assistant turn');
      lastEnd = span[span.length - 1]!;
    }
    // every assistant turn is in some example
    const covered = new Set(got.flat());
    [...pattern].forEach((c, i) => c === 'a' && assert.ok(covered.has(i), `assistant turn ${i} covered`));
  }), { numRuns: 500 }));
});

t.test('system message and names', async (t) => {
  const ts = turns('ua');
  ts[0]!.name = 'Bob';
  const [ex] = chunk(ts, { system: 'You are Ada.' });
  t.same(ex!.messages, [{ role: 'system', content: 'You are Ada.' }, { role: 'user', content: '0', name: 'Bob' }, { role: 'assistant', content: '1' }]);
});

t.test('each session and thread is chunked on its own', async (t) => {
  const other = threadInfo('inbox/other_2');
  const input = [...turns('ua'), ...turns('ua', other)];
  input[3]!.session = 0;
  const out = runStage(createChunker({}), [input.slice(0, 3), input.slice(3)]);
  t.same(out.map((e) => e.thread.id), ['inbox/t_1', 'inbox/other_2']);
  const sessions = turns('uaua');
  sessions[2]!.session = sessions[3]!.session = 1;
  t.same(spans(chunk(sessions, {})), [[0, 1], [2, 3]]);
});

t.test('options are checked', async (t) => {
  t.throws(() => createChunker({ window: 0 }), { code: 'FBS_INVALID_OPTION', message: /window: must be an integer >= 1, got 0/ });
  t.throws(() => createChunker({ window: 8, overlap: 8 }), { code: 'FBS_INVALID_OPTION', message: /overlap/ });
});
