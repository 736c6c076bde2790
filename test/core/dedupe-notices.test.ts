/**
 * lib/core/dedupe.ts on Instagram's duplicated notices: one sender's notices (or reaction notices)
 * of one kind in one millisecond are one, whatever their words ("Liked a message" / "A aimé un
 * message"); text a person wrote keeps the full key, so two different texts in one millisecond stay.
 * Then the whole pipeline on an Instagram-shaped thread, with notices kept and with the defaults.
 */
import t from 'tap';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDedupe } from '../../lib/core/dedupe.js';
import { classifyNotice } from '../../lib/formats/notices.js';
import { createPipeline } from '../../lib/pipeline.js';
import { Report } from '../../lib/report.js';
import { metaJson, msg, threadInfo } from '../support/messages.js';
import { runStage } from '../support/stage.js';

const DUP = 'duplicate messages left out';

t.test('the French twins of Instagram notices are notices too', async (t) => {
  t.equal(classifyNotice('A aimé un message'), 'reaction');
  t.equal(classifyNotice('Vous avez envoyé une pièce jointe.'), 'notice');
  t.equal(classifyNotice('Zoë a envoyé une pièce jointe.'), 'notice');
  for (const text of ['Tu as aimé mon message ?', 'la pièce jointe est où', 'aimé un message hier']) t.equal(classifyNotice(text), null, text);
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

/** An Instagram thread, newest first, with a bilingual reaction notice and two texts in one millisecond. */
function instagramThread(): string {
  const T = 1_700_000_000_000;
  const newestFirst = [
    { sender_name: 'zoë.m', timestamp_ms: T + 5000, content: 'ok, tomorrow then' },
    { sender_name: 'ada.codes', timestamp_ms: T + 4000, content: 'A aimé un message' },
    { sender_name: 'ada.codes', timestamp_ms: T + 4000, content: 'Liked a message' },
    { sender_name: 'ada.codes', timestamp_ms: T + 3000, content: 'second line, same millisecond' },
    { sender_name: 'ada.codes', timestamp_ms: T + 3000, content: 'first line' },
    { sender_name: 'zoë.m', timestamp_ms: T + 1000, content: 'are you coming?' },
  ];
  return metaJson({ participants: [{ name: 'zoë.m' }, { name: 'ada.codes' }], messages: newestFirst, title: 'zoë.m', thread_path: 'inbox/zoem_1784' });
}

async function convert(options: Partial<Parameters<typeof createPipeline>[0]>): Promise<{ lines: { messages: { role: string; content: string }[] }[]; report: Report }> {
  const p = createPipeline({ me: 'ada.codes', source: 'message_1.json', window: 20, merge: false, ...options });
  let text = '';
  await pipeline([Readable.from([Buffer.from(instagramThread())]), ...p.streams, new Writable({ objectMode: true, write: (s: string, _e, cb) => ((text += s), cb()) })]);
  return { lines: text.trim().split('\n').map((l) => JSON.parse(l)), report: p.report };
}

t.test('pipeline, notices kept: the bilingual notice once, both texts of one millisecond', async (t) => {
  const { lines, report } = await convert({ kinds: ['text', 'reaction'] });
  t.equal(lines.length, 1);
  t.same(lines[0]!.messages.map((m) => m.content), ['are you coming?', 'first line', 'second line, same millisecond', 'Liked a message']);
  t.equal(report.count(DUP), 1);
});

t.test('pipeline, defaults: neither language of the notice becomes training text', async (t) => {
  const { lines, report } = await convert({});
  t.same(lines[0]!.messages.map((m) => m.content), ['are you coming?', 'first line', 'second line, same millisecond']);
  t.equal(report.count('left out: reaction messages'), 2);
  t.equal(report.count(DUP), 0);
});
