/** lib/core/filter.ts: which messages become training text. */
import t from 'tap';
import { createFilter } from '../../lib/core/filter.js';
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
