import t from 'tap';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openExport } from '../../lib/export/open-export.js';
import { resolveOwner, selectThreads } from '../../lib/export/select.js';

const EXPORTS = fileURLToPath(new URL('../fixtures/exports/', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/export', import.meta.url));

t.test('default sections leave out filtered threads and message requests', async (t) => {
  const ex = await openExport([join(EXPORTS, 'fb-2025')]);
  t.teardown(() => ex.close());
  const { selected, left } = await selectThreads(ex);
  t.ok(selected.every((p) => p.section !== 'filtered_threads' && p.section !== 'message_requests'));
  t.same([...left], [['section filtered_threads', 1], ['section message_requests', 1]]);
  const all = await selectThreads(ex, { sections: ['inbox', 'archived_threads', 'filtered_threads', 'message_requests', 'e2ee_cutover'] });
  t.equal(all.selected.length, ex.index.threads.length);
});

t.test('groups and thread patterns (substring, wildcards, participants)', async (t) => {
  const ex = await openExport([EXAMPLE]);
  t.teardown(() => ex.close());
  const keys = async (o: Parameters<typeof selectThreads>[1]) => (await selectThreads(ex, o)).selected.map((p) => p.key);
  t.same(await keys({ groups: false }), ['inbox/charlesbabbage_1029384756', 'inbox/marysomerville_1122334455']);
  t.same(await keys({ threads: ['BABBAGE'] }), ['inbox/charlesbabbage_1029384756'], 'case-insensitive substring of the key');
  t.same(await keys({ threads: ['the*_55667788??'] }), ['inbox/thecorrespondents_5566778899'], 'wildcards over the folder name');
  t.same(await keys({ threads: ['Zoë'] }), ['inbox/thecorrespondents_5566778899'], 'a participant');
  t.same(await keys({ threads: ['nobody'] }), []);
});

t.test('the owner, or the candidates', async (t) => {
  const ex = await openExport([EXAMPLE]);
  t.teardown(() => ex.close());
  t.equal(await resolveOwner(ex), 'Ada Lovelace');
  const one = await openExport([join(EXAMPLE, 'your_facebook_activity', 'messages', 'inbox', 'marysomerville_1122334455')]);
  t.teardown(() => one.close());
  await t.rejects(resolveOwner(one), { code: 'FBS_USAGE', message: /--me NAME.*(Ada Lovelace|Mary Somerville)/ });
});
