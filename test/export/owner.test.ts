import { join } from 'node:path';
import t from 'tap';
import { buildExportIndex, readThreadHeader, type ThreadHeader, type ThreadPlan } from '../../lib/export/export-index.js';
import { listFolder } from '../../lib/sources/folder.js';
import { detectOwner, PLACEHOLDER_NAMES } from '../../lib/export/owner.js';

const FIXTURES = new URL('../fixtures/exports/', import.meta.url).pathname;

/** The first pass over fixture exports: index, then the header of each thread's first part. */
async function headers(...exports: string[]): Promise<{ plan: ThreadPlan; header: ThreadHeader }[]> {
  const entries = [];
  for (const e of exports) entries.push(...(await listFolder(join(FIXTURES, e))));
  const { threads } = buildExportIndex(entries);
  return Promise.all(threads.map(async (plan) => ({ plan, header: await readThreadHeader(plan.parts[0]!) })));
}

t.test('a clear owner: present in every thread of a real-shaped export', async (t) => {
  const hs = await headers('fb-2025');
  const result = detectOwner(hs.map((h) => h.header));
  t.equal(result.owner, 'Ada Lovelace');
  t.equal(result.threads, 8);
  t.same(result.candidates[0], { name: 'Ada Lovelace', threads: 8 });
  t.same(result.candidates[1], { name: 'Zoë Martin', threads: 2 }, 'repaired names, ranked by threads');
  t.notOk(result.candidates.some((c) => c.name === 'Facebook user'));
});

t.test('Messenger and the E2EE download share the owner name; Instagram has its own', async (t) => {
  const fb = await headers('fb-2025', 'e2ee-download');
  t.equal(detectOwner(fb.map((h) => h.header)).owner, 'Ada Lovelace');
  const ig = await headers('instagram-ada-2024');
  t.equal(detectOwner(ig.map((h) => h.header)).owner, 'ada.codes', 'the Instagram display name');
  const mixed = detectOwner([...fb, ...ig].map((h) => h.header));
  t.equal(mixed.owner, undefined, 'one call over both platforms finds nobody in common');
  const byPlatform = (dialects: string[]) => detectOwner([...fb, ...ig].filter((h) => dialects.includes(h.plan.dialect)).map((h) => h.header)).owner;
  t.same([byPlatform(['classic', 'e2ee']), byPlatform(['instagram'])], ['Ada Lovelace', 'ada.codes'], 'per platform it works');
});

t.test('ambiguous: two or more names in every thread', async (t) => {
  const one = detectOwner([['Ada', 'Zoë']]);
  t.equal(one.owner, undefined, 'a single 1:1 thread');
  t.same(one.candidates, [{ name: 'Ada', threads: 1 }, { name: 'Zoë', threads: 1 }]);
  const groups = detectOwner([['Ada', 'Bob', 'Zoë'], ['Zoë', 'Bob', 'Ada', 'Carl'], ['Bob', 'Ada', 'Zoë']]);
  t.equal(groups.owner, undefined, 'only group chats with the same members');
  t.same(groups.candidates.map((c) => c.name), ['Ada', 'Bob', 'Zoë', 'Carl']);
  t.equal(detectOwner([['Ada', 'Bob'], ['Bob', 'Ada']]).owner, undefined, 'always the same friend');
});

t.test('none: nobody in every thread, candidates ranked for the user', async (t) => {
  const r = detectOwner([['Ada', 'Bob'], ['Ada', 'Carl'], ['Ada', 'Dan'], ['Bob', 'Carl', 'Dan']]);
  t.equal(r.owner, undefined, 'a group the owner left lists only the others');
  t.same(r.candidates, [
    { name: 'Ada', threads: 3 },
    { name: 'Bob', threads: 2 },
    { name: 'Carl', threads: 2 },
    { name: 'Dan', threads: 2 },
  ]);
  t.equal(r.threads, 4);
  t.same(detectOwner([]), { candidates: [], threads: 0 }, 'no threads');
});

t.test('empty lists and deleted accounts never veto', async (t) => {
  const r = detectOwner([['Ada', 'Bob'], [], ['Facebook user', ''], ['', 'Ada', 'Carl'], ['Ada', 'Dan']]);
  t.equal(r.owner, 'Ada');
  t.equal(r.threads, 3);
  t.same(detectOwner([['Facebook user', 'Ada']]).owner, 'Ada', 'a 1:1 with a deleted account names the owner');
  t.same(detectOwner([[' facebook USER ', 'Ada'], ['Instagram user', 'Ada', 'Bob']]).owner, 'Ada', 'placeholders trimmed, any case');
  t.same(detectOwner([['Facebook user'], []]), { candidates: [], threads: 0 });
  t.ok(PLACEHOLDER_NAMES.includes('Facebook user'));
});

t.test('options: more placeholders, a candidate limit', async (t) => {
  const threads = [['Ada', 'Utilisateur de Facebook'], ['Ada', 'Bob'], ['Utilisateur de Facebook', 'Carl']];
  t.equal(detectOwner(threads).owner, undefined);
  t.equal(detectOwner(threads, { placeholders: ['Utilisateur de Facebook'] }).owner, undefined, 'Carl alone still vetoes');
  t.equal(detectOwner(threads.slice(0, 2), { placeholders: ['utilisateur de facebook'] }).owner, 'Ada');
  const many = Array.from({ length: 30 }, (_, i) => ['Ada', `Friend ${String(i).padStart(2, '0')}`]);
  t.equal(detectOwner(many).candidates.length, 10, 'ten by default');
  t.equal(detectOwner(many, { limit: Infinity }).candidates.length, 31);
  t.same(detectOwner(many, { limit: 2 }).candidates.map((c) => c.name), ['Ada', 'Friend 00'], 'ties by name');
});

t.test('names are exact: case and duplicates', async (t) => {
  t.equal(detectOwner([['Ada', 'Bob'], ['ada', 'Carl']]).owner, undefined, 'case-sensitive, as the role mapper');
  t.same(detectOwner([['John Smith', 'John Smith', 'Ada'], ['Ada', 'Bob']]).candidates[1], { name: 'Bob', threads: 1 });
  t.equal(detectOwner([{ participants: ['Ada', 'Bob'] }, { participants: ['Ada'] }]).owner, 'Ada', 'header objects accepted');
});
