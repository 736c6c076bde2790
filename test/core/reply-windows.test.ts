import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { createReplyWindows, cutToFit, REPLY_REASONS, type ReplyWindowsOptions } from '../../lib/core/reply-windows.js';
import { Report } from '../../lib/report.js';
import type { Example, RoleTurn } from '../../lib/types.js';
import { roleTurn, threadInfo } from '../support/messages.js';
import { runStage } from '../support/stage.js';

const th = threadInfo();
/** Turns from a pattern: 'u' user, 'a' assistant, '|' a new session; text is the turn's number. */
function turns(pattern: string, text = (i: number) => String(i)): RoleTurn[] {
  const out: RoleTurn[] = [];
  let session = 0;
  for (const c of pattern) {
    if (c === '|') ++session;
    else out.push({ ...roleTurn(th, c === 'a' ? 'assistant' : 'user', text(out.length)), session });
  }
  return out;
}
type Msg = Example['messages'][number] & { weight?: 0 };
const run = (ts: RoleTurn[], o: ReplyWindowsOptions, batch = ts.length || 1) => {
  const batches: RoleTurn[][] = [];
  for (let i = 0; i < ts.length; i += batch) batches.push(ts.slice(i, i + batch));
  return runStage(createReplyWindows(o), batches);
};
const spans = (examples: Example[]) => examples.map((e) => (e.messages as Msg[]).filter((m) => m.role !== 'system').map((m) => (m.weight === 0 ? `(${m.content})` : m.content)).join(' '));
/** A token count that is not the byte count: ~1 token per 3 bytes. */
const count = (s: string) => Math.ceil(Buffer.byteLength(s) / 3);
const cookbook = (e: Example) => 3 + e.messages.reduce((n, m) => n + 3 + count(m.role) + count(m.content) + (m.name === undefined ? 0 : 1 + count(m.name)), 0);

t.test('each reply taught once, with its prompt; context replies weigh 0', async (t) => {
  t.same(spans(run(turns('uauauauauaua'), { window: 4, overlap: 2 })), ['0 1 2 3', '2 (3) 4 5', '4 (5) 6 7', '6 (7) 8 9', '8 (9) 10 11']);
  t.same(spans(run(turns('uauauauauaua'), { window: 4, overlap: 2, weights: false })), ['0 1 2 3', '4 5 6 7', '8 9 10 11'], 'without weights: no reply twice');
  t.same(spans(run(turns('aauaua'), { window: 8 })), ['2 3 4 5'], 'replies before any prompt are not trained');
  t.same(spans(run(turns('uaaaua'), { window: 4, overlap: 1 })), ['0 1 2 3', '4 5']);
  t.same(spans(run(turns('uaaauaua'), { window: 3, overlap: 1 })), ['0 1 2', '4 5', '6 7'], 'a reply too far from its prompt for a window (3) is not trained; the overlap holds no user turn');
  t.same(spans(run(turns('uuaaa'), { window: 3, overlap: 0 })), ['0 1 2', '1 (2) 3'], 'a reply run past a window: its prompt reopened, the rest as context');
  t.same(spans(run(turns('uuaaa'), { window: 3, overlap: 0, weights: false })), ['0 1 2'], 'without weights it is left out');
  t.same(spans(run(turns('ua|au|uua'), { window: 8 })), ['0 1', '4 5 6'], 'each session on its own; a lone reply opening one is not trained');
  t.same(spans(run(turns('uuuuuuua'), { window: 3 })), ['5 6 7'], 'the prompt nearest the reply');
  t.same(spans(run(turns('uauu'), { window: 8 })), ['0 1'], 'ends on a reply');
  const report = new Report();
  run(turns('aua|a'), { report });
  t.equal(report.count(REPLY_REASONS.noPrompt), 2, 'counted');
  const far = new Report();
  run(turns('uaaaaa'), { window: 3, report: far });
  t.equal(far.count(REPLY_REASONS.unreached), 3, 'replies no window reaches: counted');
});

/** The rules, on any pattern, window, overlap, batching. */
function check(pattern: string, o: ReplyWindowsOptions, batch: number): void {
  const ts = turns(pattern);
  const examples = run(ts, o, batch);
  assert.deepEqual(examples, run(ts, o), 'batching does not matter');
  const trained = new Map<number, number>();
  for (const e of examples) {
    const ms = e.messages as Msg[];
    const nums = ms.map((m) => Number(m.content));
    assert.equal(ms[0]!.role, 'user', 'opens on a user turn');
    assert.equal(ms.at(-1)!.role, 'assistant');
    assert.notEqual(ms.at(-1)!.weight, 0, 'ends on a trained reply');
    assert.ok(ms.length <= (o.window ?? 8));
    for (let i = 1; i < nums.length; ++i) assert.equal(nums[i], nums[i - 1]! + 1, 'consecutive turns');
    assert.equal(new Set(nums.map((n) => ts[n]!.session)).size, 1, 'one session');
    for (const m of ms) if (m.role === 'assistant' && m.weight !== 0) trained.set(Number(m.content), (trained.get(Number(m.content)) ?? 0) + 1);
    if (o.weights === false) assert.ok(ms.every((m) => m.weight === undefined));
    if (o.maxTokens) assert.ok(cookbook(e) <= o.maxTokens, `${cookbook(e)} tokens`);
  }
  for (const [, n] of trained) assert.equal(n, 1, 'no reply trained twice');
  if (o.weights !== false && !o.maxTokens) {
    // every reply whose last prompt is close enough for a window to hold both is trained
    ts.forEach((turn, i) => {
      let p = i - 1;
      while (p >= 0 && ts[p]!.role !== 'user' && ts[p]!.session === turn.session) --p;
      const reachable = turn.role === 'assistant' && p >= 0 && ts[p]!.session === turn.session && i - p < (o.window ?? 8);
      assert.equal(trained.has(i), reachable, `turn ${i} of ${pattern}`);
    });
  }
}

t.test('property: the rules hold for any conversation', async (t) => {
  const pattern = fc.stringMatching(/^[ua|]{0,60}$/);
  t.doesNotThrow(() => fc.assert(fc.property(pattern, fc.integer({ min: 2, max: 9 }), fc.nat(), fc.integer({ min: 1, max: 7 }), fc.boolean(), (p, window, o, batch, weights) => {
    check(p, { window, overlap: o % window, weights }, batch);
  }), { numRuns: 800 }));
});

t.test('token limit: no example over it; a turn too long for any example is cut at a boundary and counted', async (t) => {
  const report = new Report();
  const long = 'First paragraph here.\n\n' + 'Word after word goes on. '.repeat(400);
  const ts = turns('uauaua', (i) => (i === 3 ? long : `turn ${i}`));
  const examples = run(ts, { window: 8, maxTokens: 300, countTokens: count, report });
  for (const e of examples) t.ok(cookbook(e) <= 300, `${cookbook(e)} <= 300`);
  t.equal(report.count(REPLY_REASONS.cut), 1);
  const cut = examples.flatMap((e) => e.messages).find((m) => m.content.startsWith('First paragraph'));
  t.ok(cut && /[.!?]$/.test(cut.content), 'cut after a sentence');
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('u', 'a'), fc.string({ maxLength: 600 })), { maxLength: 40 }), fc.integer({ min: 64, max: 400 }), (spec, limit) => {
    const ts = spec.map(([r, text], i) => ({ ...roleTurn(th, r === 'a' ? 'assistant' : 'user', `${i} ${text}`), session: 0 }));
    for (const e of run(ts, { window: 8, maxTokens: limit, countTokens: count })) assert.ok(cookbook(e) <= limit);
  }), { numRuns: 300 }));
});

t.test('token limit with a count as large as the bytes: multi-byte text is bounded by 3 bytes a UTF-16 unit, never less', async (t) => {
  // tokens = UTF-8 bytes is the most a count may be: a turn's size bound (3 a unit when that is a
  // window's share of the limit, else its bytes) must never fall below it, or a turn goes uncut
  const bytes = (s: string) => Buffer.byteLength(s);
  const cost = (e: Example) => 3 + e.messages.reduce((n, m) => n + 3 + bytes(m.role) + bytes(m.content) + (m.name === undefined ? 0 : 1 + bytes(m.name)), 0);
  const text = fc.string({ unit: fc.constantFrom('a', ' ', '.', 'é', '€', '😀', '王', '\ud800'), maxLength: 300 });
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('u', 'a'), text), { maxLength: 30 }), fc.integer({ min: 64, max: 3000 }), fc.integer({ min: 2, max: 8 }), (spec, limit, window) => {
    const ts = spec.map(([r, s], i) => ({ ...roleTurn(th, r === 'a' ? 'assistant' : 'user', `${i} ${s}`), session: 0 }));
    for (const e of run(ts, { window, overlap: 1, maxTokens: limit, countTokens: bytes })) assert.ok(cost(e) <= limit, `${cost(e)} <= ${limit}`);
  }), { numRuns: 400 }));
  // 68 units of 3 bytes each: 2 bytes a unit would pass them as within half the limit, uncut
  const report = new Report();
  const wide = run(turns('ua', () => '王'.repeat(68)), { window: 2, overlap: 0, maxTokens: 300, countTokens: bytes, report });
  t.equal(report.count(REPLY_REASONS.cut), 2, '204 bytes each, more than half the limit: both cut');
  t.ok(wide.length === 1 && cost(wide[0]!) <= 300, `the example fits (${wide.map(cost)})`);
});

t.test('windowTokens: turns packed up to the budget, not counted by turns', async (t) => {
  const ts = turns('ua'.repeat(50), (i) => `message number ${i}`);
  const examples = run(ts, { windowTokens: 200, countTokens: count });
  for (const e of examples) t.ok(cookbook(e) <= 200);
  t.ok(examples.some((e) => e.messages.length > 8), 'more than 8 turns when they fit');
});

t.test('cutToFit', async (t) => {
  const c = (s: string) => s.length;
  t.equal(cutToFit('short', 10, c), 'short');
  t.equal(cutToFit('One two.\n\nThree four five six seven.', 20, c), 'One two.');
  t.equal(cutToFit('Aaaa bbbb. Cccc dddd eeee.', 20, c), 'Aaaa bbbb.');
  t.equal(cutToFit('Aaaaaaaaaaaaa bbbbbbbbbbb', 20, c), 'Aaaaaaaaaaaaa');
  t.equal(cutToFit('x😀😀', 2, c), 'x', 'no half surrogate pair');
  t.equal(cutToFit('abc', 0, c), '');
});

t.test('options', async (t) => {
  t.throws(() => createReplyWindows({ window: 1 }), { code: 'FBS_INVALID_OPTION' });
  t.throws(() => createReplyWindows({ window: 4, overlap: 4 }), { code: 'FBS_INVALID_OPTION' });
  t.throws(() => createReplyWindows({ maxTokens: 1000 }), { code: 'FBS_INVALID_OPTION', message: /count tokens/ });
});
