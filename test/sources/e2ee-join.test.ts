/**
 * lib/export/e2ee-join.ts, the pure match: an E2EE download thread joins the one `e2ee_cutover`
 * thread with the same participants; anything less than a certain one-to-one match stays apart.
 */
import t from 'tap';
import type { ExportEntry } from '../../lib/sources/entry.js';
import { joinE2eeThreads } from '../../lib/export/e2ee-join.js';
import type { ThreadHeader, ThreadPlan, ThreadSection } from '../../lib/export/export-index.js';

function entry(name: string): ExportEntry {
  return { input: 'x', path: name, name, size: 1, open: () => { throw new Error('not read'); } };
}

function plan(key: string, parts = 1): ThreadPlan {
  const section = key.slice(0, key.indexOf('/')) as ThreadSection;
  const dialect = section === 'e2ee' ? 'e2ee' : 'classic';
  return { key, section, dialect, parts: Array.from({ length: parts }, (_, i) => entry(`${key}/message_${i + 1}.json`)), missingParts: [] };
}

function headersOf(list: [ThreadPlan, string[]][]): Map<ThreadPlan, ThreadHeader> {
  return new Map(list.map(([p, participants]) => [p, { participants, isGroup: participants.length > 2, format: p.section === 'e2ee' ? 'e2ee' : 'classic' }]));
}

t.test('one cutover thread and one E2EE thread with the same participants become one', async (t) => {
  const inbox = plan('inbox/zoemartin_1');
  const cut = plan('e2ee_cutover/zoemartin_2', 2);
  const other = plan('e2ee_cutover/bob_3');
  const e2ee = plan('e2ee/Zoë Martin_40');
  const threads = [inbox, other, cut, e2ee];
  // the order of names does not matter; the inbox thread with the same people takes no part
  const r = joinE2eeThreads(threads, headersOf([[inbox, ['Ada', 'Zoë Martin']], [cut, ['Zoë Martin', 'Ada']], [other, ['Bob', 'Ada']], [e2ee, ['Ada', 'Zoë Martin']]]));
  t.equal(r.threads.length, 3);
  t.same(r.threads.map((p) => p.key), ['inbox/zoemartin_1', 'e2ee_cutover/bob_3', 'e2ee_cutover/zoemartin_2'], 'at the cutover thread\'s place');
  const joined = r.threads[2]!;
  t.same(r.joined, [joined]);
  t.same(joined.joined, [cut, e2ee]);
  t.match(joined, { key: cut.key, section: 'e2ee_cutover', dialect: 'classic' });
  t.same(joined.parts.map((p) => p.name), [...cut.parts, ...e2ee.parts].map((p) => p.name), 'the cutover parts, then the E2EE file');
  t.same(r.ambiguous, []);
  t.equal(r.threads[0], inbox, 'other threads are the same objects');
});

t.test('ambiguous or uncertain: nothing joined', async (t) => {
  const a1 = plan('e2ee_cutover/samlee_1');
  const a2 = plan('e2ee_cutover/samlee_2');
  const ae = plan('e2ee/Sam Lee_7');
  const b = plan('e2ee_cutover/alexkim_3');
  const be1 = plan('e2ee/Alex Kim_1');
  const be2 = plan('e2ee/Alex Kim_2');
  const ghost = plan('e2ee_cutover/facebookuser_4');
  const ghostE = plan('e2ee/Facebook user_9');
  const group = plan('e2ee_cutover/crew_5');
  const sub = plan('e2ee/Cy_5');
  const lone = plan('e2ee_cutover/me_6');
  const loneE = plan('e2ee/Me_6');
  const unread = plan('e2ee_cutover/dora_7');
  const doraE = plan('e2ee/Dora_7');
  const threads = [a1, a2, b, ghost, group, lone, unread, ae, be1, be2, ghostE, sub, loneE, doraE];
  const r = joinE2eeThreads(threads, headersOf([
    [a1, ['Ada', 'Sam Lee']], [a2, ['Ada', 'Sam Lee']], [ae, ['Ada', 'Sam Lee']], // two cutover threads
    [b, ['Ada', 'Alex Kim']], [be1, ['Ada', 'Alex Kim']], [be2, ['Ada', 'Alex Kim']], // two E2EE threads
    [ghost, ['Ada', 'Facebook user']], [ghostE, ['Ada', 'Facebook user']], // any deleted account
    [group, ['Ada', 'Bo', 'Cy']], [sub, ['Ada', 'Cy']], // not the same set
    [lone, ['Ada']], [loneE, ['Ada']], // one name tells nothing
    [doraE, ['Ada', 'Dora']], // `unread`: its header failed
  ]));
  t.same(r.threads, threads, 'every thread as it was');
  t.same(r.joined, []);
  t.same(r.ambiguous, [
    { participants: ['Ada', 'Alex Kim'], keys: ['e2ee_cutover/alexkim_3', 'e2ee/Alex Kim_1', 'e2ee/Alex Kim_2'] },
    { participants: ['Ada', 'Sam Lee'], keys: ['e2ee_cutover/samlee_1', 'e2ee_cutover/samlee_2', 'e2ee/Sam Lee_7'] },
  ]);
});
