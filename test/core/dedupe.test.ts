/**
 * lib/core/dedupe.ts: a message found twice is emitted once. On Instagram's duplicated notices: one
 * sender's notices (or reaction notices) of one kind in one millisecond are one, whatever their
 * words ("Liked a message" / "A aimé un message"); text a person wrote keeps the full key, so two
 * different texts in one millisecond stay.
 */
import t from 'tap';
import { createDedupe } from '../../lib/core/dedupe.js';
import { Report } from '../../lib/report.js';
import { msg, threadInfo } from '../support/messages.js';
import { runStage } from '../support/stage.js';

const DUP = 'duplicate messages left out';

t.test('dedupe: a message found twice (same time, sender, kind, text, media) is emitted once', async (t) => {
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

t.test('notices of one kind, one sender, one millisecond: one, whatever their text or media', async (t) => {
  const th = threadInfo('inbox/zoe.m_1', { dialect: 'instagram' });
  const report = new Report();
  const out = runStage(createDedupe({ report }), [[
    msg(th, 'ada.codes', 10, 'Liked a message', { kind: 'reaction' }),
    msg(th, 'ada.codes', 10, 'A aimé un message', { kind: 'reaction' }),
    msg(th, 'ada.codes', 20, 'You sent an attachment.', { kind: 'notice', attachments: [{ type: 'share', uri: 'https://a' }] }),
  ], [
    msg(th, 'ada.codes', 20, 'You sent an attachment.', { kind: 'notice', attachments: [{ type: 'share', uri: 'https://b' }] }),
  ]]);
  t.same(out.map((m) => [m.timestampMs, m.text]), [[10, 'Liked a message'], [20, 'You sent an attachment.']], 'the first of each is kept');
  t.equal(report.count(DUP), 2, 'reported as any duplicate');
});

t.test('not duplicates: other sender, other millisecond, other kind, other thread, and different texts', async (t) => {
  const a = threadInfo('inbox/a_1');
  const b = threadInfo('inbox/b_1');
  const report = new Report();
  const input = [
    msg(a, 'ada', 10, 'Liked a message', { kind: 'reaction' }),
    msg(a, 'zoe', 10, 'Liked a message', { kind: 'reaction' }),
    msg(a, 'ada', 10, 'Ada left the group.', { kind: 'notice' }),
    msg(a, 'ada', 10, 'Liked a message'), // kind text: what a person typed, compared whole
    msg(a, 'ada', 10, 'on my way'),
    msg(a, 'ada', 10, 'see you'),
    msg(a, 'ada', 11, 'A aimé un message', { kind: 'reaction' }),
    msg(b, 'ada', 11, 'Liked a message', { kind: 'reaction' }),
  ];
  const out = runStage(createDedupe({ report }), [input]);
  t.equal(out.length, input.length, 'every message kept');
  t.equal(report.count(DUP), 0);
});
