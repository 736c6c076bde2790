import t from 'tap';
import { createFilter } from '../../lib/core/filter.js';
import { createSessions } from '../../lib/core/sessions.js';
import { createSerializer } from '../../lib/core/serializer.js';
import { Report } from '../../lib/report.js';
import { msg, threadInfo } from '../support/messages.js';
import { runStage } from '../support/stage.js';

t.test('filter: defaults keep what a person wrote', async (t) => {
  const th = threadInfo();
  const report = new Report();
  const input = [
    msg(th, 'a', 1, 'text'), msg(th, 'a', 2, '  ', {}), msg(th, 'a', 3, null, { kind: 'media' }), msg(th, 'a', 4, 'caption', { kind: 'media' }),
    msg(th, 'a', 5, 'A called you.', { kind: 'call' }), msg(th, 'a', 6, 'Liked a message', { kind: 'reaction' }), msg(th, 'a', 7, 'link', { kind: 'share' }),
  ];
  t.same(runStage(createFilter({ report }), [input]).map((m) => m.timestampMs), [1, 4, 7]);
  t.equal(report.count('left out: call messages'), 1);
  t.same(runStage(createFilter({ kinds: ['text', 'media', 'sticker', 'share', 'call', 'unsent', 'notice', 'reaction', 'empty'], text: 'present' }), [input]).map((m) => m.timestampMs), [1, 2, 4, 5, 6, 7], 'langchain: anything with content');
  const dated = new Report();
  t.same(runStage(createFilter({ sinceMs: 2, untilMs: 7, report: dated }), [input]).map((m) => m.timestampMs), [4]);
  t.equal(dated.count('left out: messages outside the date range (since/until)'), 2, 'the ones at 1 and at 7 (until is exclusive)');
  t.throws(() => createFilter({ kinds: ['bogus' as never] }), { code: 'FBS_INVALID_OPTION' });
  t.throws(() => createFilter({ sinceMs: 7, untilMs: 7 }), { code: 'FBS_INVALID_OPTION', message: /untilMs.*keeps nothing/ }, 'an empty range');
  t.throws(() => createFilter({ sinceMs: Number.NaN }), { code: 'FBS_INVALID_OPTION', message: /sinceMs/ }, 'NaN would leave out everything');
  t.throws(() => createFilter({ untilMs: '2020' as never }), { code: 'FBS_INVALID_OPTION', message: /untilMs/ });
  t.same(runStage(createFilter({ sinceMs: 6, untilMs: 7 }), [input]).map((m) => m.timestampMs), [], 'a one-ms range is fine');
});

t.test("filter: media whose only text is Meta's notice has no caption (the langchain preset keeps it)", async (t) => {
  const th = threadInfo();
  const report = new Report();
  const input = [
    msg(th, 'Ada', 1, 'Ada sent an attachment.', { kind: 'media' }),
    msg(th, 'Ada', 2, 'Ada sent an attachment. Look!', { kind: 'media' }),
    msg(th, 'Ada', 3, 'Vous avez envoyé une pièce jointe.', { kind: 'media' }),
    msg(th, 'Ada', 4, 'Ada sent an attachment.', { kind: 'text' }),
  ];
  t.same(runStage(createFilter({ report, kinds: ['media', 'text'] }), [input]).map((m) => m.timestampMs), [2, 4], 'a real caption stays; a text kind is not second-guessed');
  t.equal(report.count('left out: media messages whose text is a notice, not a caption'), 2);
  t.same(runStage(createFilter({ kinds: ['media', 'text'], text: 'present' }), [input]).map((m) => m.timestampMs), [1, 2, 3, 4], 'langchain: all');
});

t.test('sessions: a new one after a long silence, reset per thread', async (t) => {
  const a = threadInfo('a');
  const b = threadInfo('b');
  const out = runStage(createSessions({ gapMs: 10 }), [[msg(a, 'x', 0), msg(a, 'x', 5), msg(a, 'x', 20), msg(a, 'x', 31)], [msg(b, 'x', 100)]]);
  t.same(out.map((m) => m.session), [0, 0, 1, 2, 0]);
  t.throws(() => createSessions({ gapMs: 0 }), { code: 'FBS_INVALID_OPTION' });
});

t.test('serializer: one line per example, valid JSON even for lone surrogates', async (t) => {
  const stats = { examples: 0 };
  const th = threadInfo();
  const meta = { session: 0, firstTimestampMs: 0, lastTimestampMs: 0 };
  const [text] = runStage(createSerializer({ stats }), [[
    { thread: th, messages: [{ role: 'user', content: 'a\n"b"' }, { role: 'assistant', content: 'x\ud800', name: undefined as never }], meta },
    { thread: th, messages: [{ role: 'user', content: 'c', name: 'Bob' }, { role: 'assistant', content: 'd' }], meta },
  ]]);
  const lines = text!.split('\n');
  t.equal(lines.pop(), '', 'newline terminated');
  t.same(lines.map((l) => JSON.parse(l)), [
    { messages: [{ role: 'user', content: 'a\n"b"' }, { role: 'assistant', content: 'x\ud800' }] },
    { messages: [{ role: 'user', content: 'c', name: 'Bob' }, { role: 'assistant', content: 'd' }] },
  ]);
  t.ok(Buffer.from(text!, 'utf8').toString('utf8') === text, 'round-trips as UTF-8');
  t.equal(stats.examples, 2);
});

t.test('serializer: a big batch comes out as several strings of whole lines, each cut soon after 16 Ki chars', async (t) => {
  const th = threadInfo();
  const meta = { session: 0, firstTimestampMs: 0, lastTimestampMs: 0 };
  const batch = Array.from({ length: 400 }, (_, i) => ({ thread: th, messages: [{ role: 'user' as const, content: `${i} 🎉 ${'y'.repeat(i)}` }, { role: 'assistant' as const, content: 'ok' }], meta }));
  const out = runStage(createSerializer(), [batch]);
  const longest = Math.max(...batch.map((e) => JSON.stringify({ messages: e.messages }).length + 1));
  t.ok(out.length > 3, `${out.length} strings`);
  t.ok(out.every((s) => s.endsWith('\n') && s.length < 16 * 1024 + longest), `lengths ${out.map((s) => s.length)}`);
  t.same(out.join('').split('\n').slice(0, -1).map((l) => JSON.parse(l)), batch.map((e) => ({ messages: e.messages })));
});

t.test('dedupe: a message found twice (same time, sender, kind, text, media) is emitted once', async (t) => {
  const { createDedupe } = await import('../../lib/core/dedupe.js');
  const a = threadInfo('a');
  const b = threadInfo('b');
  const report = new Report();
  const input = [
    msg(a, 'x', 1, 'hi'), msg(a, 'x', 1, 'hi'), msg(a, 'y', 1, 'hi'), msg(a, 'x', 1, 'other'),
    msg(a, 'x', 2, 'hi'), msg(a, 'x', 2, null, { kind: 'media', attachments: [{ type: 'photo', uri: 'p1' }] }),
    msg(a, 'x', 2, null, { kind: 'media', attachments: [{ type: 'photo', uri: 'p2' }] }),
  ];
  const out = runStage(createDedupe({ report }), [input.slice(0, 3), [...input.slice(3), msg(b, 'x', 2, 'hi')]]);
  t.same(out.map((m) => [m.thread.id, m.sender, m.timestampMs, m.text]), [
    ['a', 'x', 1, 'hi'], ['a', 'y', 1, 'hi'], ['a', 'x', 1, 'other'], ['a', 'x', 2, 'hi'], ['a', 'x', 2, null], ['a', 'x', 2, null], ['b', 'x', 2, 'hi'],
  ]);
  t.equal(report.count('duplicate messages left out'), 1);
});
