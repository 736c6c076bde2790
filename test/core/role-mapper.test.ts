import t from 'tap';
import { createRoleMapper, meMatcher } from '../../lib/core/role-mapper.js';
import { asciiName } from '../../lib/text/ascii-name.js';
import { threadInfo, turn } from '../support/messages.js';
import { runStage } from '../support/stage.js';

t.test('me becomes assistant, everyone else user; counted', async (t) => {
  const th = threadInfo();
  const stats = { assistantTurns: 0 };
  const out = runStage(createRoleMapper({ me: 'Zoë' }, stats), [[turn(th, 'Zoë', 'a'), turn(th, 'Bob', 'b'), turn(th, 'zoë', 'c')]]);
  t.same(out.map((x) => x.role), ['assistant', 'user', 'user'], 'case-sensitive, like LangChain');
  t.equal(stats.assistantTurns, 1);
});

t.test('names compare after NFC normalisation unless told not to', async (t) => {
  const decomposed = 'Zoe\u0308';
  t.ok(meMatcher('Zoë')(decomposed));
  t.notOk(meMatcher('Zoë', false)(decomposed));
  t.ok(meMatcher(['x', 'Zoë'], false)('Zoë'), 'several spellings');
  t.throws(() => meMatcher(''), { code: 'FBS_INVALID_OPTION' });
});

t.test('names: only in group chats, only for user turns, sanitised', async (t) => {
  const group = threadInfo('inbox/g_1', { isGroup: true });
  const oneToOne = threadInfo('inbox/o_1');
  const out = runStage(createRoleMapper({ me: 'Me', names: true }), [[turn(group, 'Zoë Brontë', 'a'), turn(group, 'Me', 'b'), turn(oneToOne, 'Bob', 'c')]]);
  t.same(out.map((x) => x.name), ['Zoe_Bronte', undefined, undefined]);
  t.equal(asciiName('🙂'), undefined);
  t.equal(asciiName('Jean-Luc  Picard!'), 'Jean-Luc_Picard');
});

t.test('names: any script, unique within the thread, a fallback by place', async (t) => {
  const group = threadInfo('inbox/g_2', { isGroup: true, participants: ['王伟', 'Søren', 'Soren', '🎉', 'Me'] });
  const out = runStage(createRoleMapper({ me: 'Me', names: true }), [['王伟', 'Søren', 'Soren', '🎉', 'Me', 'Left Early'].map((s, i) => turn(group, s, String(i)))]);
  t.same(out.map((x) => x.name), ['Wang_Wei', 'Soren', 'Soren_2', 'participant_4', undefined, 'Left_Early']);
});

t.test('onThread hears of each thread once', async (t) => {
  const a = threadInfo('a');
  const b = threadInfo('b');
  const seen: string[] = [];
  runStage(createRoleMapper({ me: 'x', onThread: (th) => seen.push(th.id) }), [[turn(a, 'x', '1'), turn(a, 'y', '2')], [turn(b, 'x', '3')]]);
  t.same(seen, ['a', 'b']);
});
