/** lib/privacy/stage.ts: messages' text redacted, then names pseudonymized, as senders and in text. */
import t from 'tap';
import { createPrivacyStage } from '../../lib/privacy/stage.js';
import { pseudonymOf } from '../../lib/privacy/pseudonymize.js';
import { Report } from '../../lib/report.js';
import { msg, threadInfo } from '../support/messages.js';
import { runStage } from '../support/stage.js';

const ps = (name: string) => pseudonymOf('s', name);

t.test('privacy stage: redaction, then pseudonyms; the owner kept; per thread', async (t) => {
  const group = threadInfo('inbox/group_1', { participants: ['Ada Lovelace', 'Charles Babbage', 'Grace Hopper'], isGroup: true });
  group.senderCounts = new Map([['Ada Lovelace', 2], ['Alan Turing', 1]]);
  const other = threadInfo('inbox/grace_2', { participants: ['Ada Lovelace', 'Grace Hopper'] });
  const report = new Report();
  const stage = createPrivacyStage({ redact: { kinds: ['emails', 'phones'] }, pseudonymize: { salt: 's', keep: ['Ada Lovelace'] }, report });
  const out = runStage(stage, [[
    msg(group, 'Charles Babbage', 1, 'mail charles.babbage@example.com or call +44 20 7946 0958, Ada'),
    msg(group, 'Alan Turing', 2, 'Grace, Charles and alan are in'),
    msg(group, 'Ada Lovelace', 3, null, { kind: 'media' }),
  ], [
    msg(other, 'Grace Hopper', 4, 'hi Ada, Charles said hi'),
  ]]);
  t.same(out.map((m) => [m.sender, m.text]), [
    [ps('Charles Babbage'), 'mail [email] or call [phone], Ada'],
    [ps('Alan Turing'), `${ps('Grace Hopper')}, ${ps('Charles Babbage')} and ${ps('Alan Turing')} are in`],
    ['Ada Lovelace', null],
    [ps('Grace Hopper'), 'hi Ada, Charles said hi'],
  ], 'the email goes whole (not its name); someone who left is covered by the senders counted; Charles is no participant of the second thread');
  t.equal(report.count('redacted: emails'), 1);
  t.equal(report.count('redacted: phones'), 1);
});

t.test('privacy stage: each part alone; nothing asked, nothing changed', async (t) => {
  const th = threadInfo('inbox/a_1', { participants: ['Ada Lovelace', 'Zoë Ångström'] });
  const text = 'Zoë: see https://example.com';
  t.same(runStage(createPrivacyStage({ redact: { kinds: ['urls'] } }), [[msg(th, 'Zoë Ångström', 1, text)]]).map((m) => [m.sender, m.text]), [['Zoë Ångström', 'Zoë: see [url]']]);
  t.same(runStage(createPrivacyStage({ pseudonymize: { salt: 's' } }), [[msg(th, 'Zoë Ångström', 1, text)]]).map((m) => [m.sender, m.text]), [[ps('Zoë Ångström'), `${ps('Zoë Ångström')}: see https://example.com`]]);
  const batch = [msg(th, 'Zoë Ångström', 1, text)];
  t.equal(createPrivacyStage().push(batch), batch, 'the batch itself');
  t.equal(batch[0]!.text, text);
});

t.test('privacy stage: options checked before the first message', async (t) => {
  t.throws(() => createPrivacyStage({ pseudonymize: { salt: '' } }), { code: 'FBS_INVALID_OPTION', message: /salt/ });
  t.throws(() => createPrivacyStage({ redact: { kinds: ['names' as never] } }), { code: 'FBS_INVALID_OPTION', message: /redact/ });
});
