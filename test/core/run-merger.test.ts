import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { createRunMerger } from '../../lib/core/run-merger.js';
import { pythonStrip } from '../../lib/text/python-strip.js';
import type { Message } from '../../lib/types.js';
import { msg, threadInfo } from '../support/messages.js';
import { runStage } from '../support/stage.js';

t.test('consecutive messages of one sender become one turn', async (t) => {
  const th = threadInfo();
  const out = runStage(createRunMerger(), [[msg(th, 'a', 1, 'hi'), msg(th, 'a', 2, ' there '), msg(th, 'b', 3, 'yo')], [msg(th, 'b', 4, 'ok')]]);
  t.same(out.map((x) => [x.sender, x.text, x.count, x.firstTimestampMs, x.lastTimestampMs]), [['a', 'hi\n\nthere', 2, 1, 2], ['b', 'yo\n\nok', 2, 3, 4]]);
});

t.test('no merge across threads, sessions, or a silence over maxGapMs; --no-merge', async (t) => {
  const a = threadInfo('inbox/a_1');
  const b = threadInfo('inbox/b_2');
  const input = [msg(a, 'x', 1, '1'), msg(b, 'x', 2, '2'), msg(b, 'x', 3, '3', { session: 1 }), msg(b, 'x', 100, '4', { session: 1 })];
  t.same(runStage(createRunMerger({ maxGapMs: 50 }), [input]).map((x) => x.text), ['1', '2', '3', '4']);
  t.same(runStage(createRunMerger(), [input]).map((x) => x.text), ['1', '2', '3\n\n4']);
  t.same(runStage(createRunMerger({ merge: false }), [input]).map((x) => x.text), ['1', '2', '3', '4']);
});

/** LangChain's merge_chat_runs, literally: strip the whole accumulated text at every merge. */
function naive(texts: string[], senders: string[], delimiter = '\n\n'): string[] {
  const out: { s: string; c: string }[] = [];
  texts.forEach((c, i) => {
    const last = out[out.length - 1];
    if (last && last.s === senders[i]) last.c = pythonStrip(last.c + delimiter + c);
    else out.push({ s: senders[i]!, c });
  });
  return out.map((x) => x.c);
}

t.test('strip: merge equals LangChain strip-at-every-merge exactly', async (t) => {
  const piece = fc.constantFrom('', ' ', '\n', 'a', 'b c', '\x1c', '\ufeff', '\u3000', '\t');
  const text = fc.array(piece, { maxLength: 5 }).map((p) => p.join(''));
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(fc.tuple(text, fc.constantFrom('a', 'b')), { maxLength: 12 }), (spec) => {
    const th = threadInfo();
    const ms: Message[] = spec.map(([c, s], i) => msg(th, s, i, c));
    const ours = runStage(createRunMerger({ strip: 'merge' }), [ms]).map((x) => x.text);
    assert.deepEqual(ours, naive(spec.map((x) => x[0]), spec.map((x) => x[1])));
  }), { numRuns: 500 }));
});

t.test('any delimiter, either strip: the same text as stripping the whole at every merge', async (t) => {
  const piece = fc.constantFrom('', ' ', '\n', 'a', 'b c', '\x1c', '\ufeff', '\t');
  const text = fc.array(piece, { maxLength: 4 }).map((p) => p.join(''));
  const delimiter = fc.constantFrom('\n\n', '', ' ', ' | ', 'x', '\t-');
  const strip = fc.constantFrom('merge' as const, 'always' as const);
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(fc.tuple(text, fc.constantFrom('a', 'b')), { maxLength: 10 }), delimiter, strip, (spec, d, mode) => {
    const th = threadInfo();
    // two pushes: a run goes on across batches
    const ms: Message[] = spec.map(([c, s], i) => msg(th, s, i, c));
    const half = ms.length >> 1;
    const ours = runStage(createRunMerger({ strip: mode, delimiter: d }), [ms.slice(0, half), ms.slice(half)]).map((x) => x.text);
    const texts = spec.map((x) => (mode === 'always' ? pythonStrip(x[0]) : x[0]));
    assert.deepEqual(ours, naive(texts, spec.map((x) => x[1]), d));
  }), { numRuns: 1000 }));
});

t.test('strip: always strips every turn, merged or not', async (t) => {
  const th = threadInfo();
  t.same(runStage(createRunMerger(), [[msg(th, 'a', 1, '  x  '), msg(th, 'b', 2, ' y ')]]).map((x) => x.text), ['x', 'y']);
});

t.test('a long run stays linear (no re-scan of the accumulated text)', async (t) => {
  const th = threadInfo();
  const ms = Array.from({ length: 50_000 }, (_, i) => msg(th, 'a', i, `message number ${i} `));
  const [turn] = runStage(createRunMerger({ strip: 'merge' }), [ms]);
  t.equal(turn!.count, 50_000);
  t.ok(turn!.text.endsWith('message number 49999'));
});
