import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { IoError, UsageError } from '../../lib/errors.js';
import { openExport } from '../../lib/export/open-export.js';
import { FOLDER_SKIP, listFolder, type FolderProblem } from '../../lib/sources/folder.js';

const FIXTURES = new URL('../fixtures/exports/', import.meta.url).pathname;

async function tempTree(t: Test, files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'fbstream-folder-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return chunks;
}

t.test('every file below the folder, relative /-paths, sorted, with sizes', async (t) => {
  const root = await tempTree(t, {
    'b/message_9.json': '{}',
    'b/message_10.json': '{"x":1}',
    'a.json': '[]',
    'B/upper.txt': 'u',
    'a/deep/er/f.jpg': 'jpeg',
  });
  const entries = await listFolder(root);
  t.same(entries.map((e) => e.path), ['B/upper.txt', 'a.json', 'a/deep/er/f.jpg', 'b/message_10.json', 'b/message_9.json']);
  const e = entries.find((x) => x.path === 'b/message_10.json')!;
  t.equal(e.input, root);
  t.equal(e.name, join(root, 'b', 'message_10.json'));
  t.equal(e.size, 7);
  t.equal(Buffer.concat(await readAll(await e.open())).toString(), '{"x":1}');
  t.same(await listFolder(root).then((l) => l.map((x) => x.path)), entries.map((x) => x.path), 'same list every time');
});

t.test('open() reads in 64 KB reads (handed over one or two at a time), a new stream per call', async (t) => {
  const root = await tempTree(t, { 'big.json': 'x'.repeat(200_000) });
  const [entry] = await listFolder(root);
  const chunks = await readAll(await entry!.open());
  t.ok(chunks.length >= 2 && chunks.every((c) => c.length <= 2 * 65536 && (c.length % 65536 === 0 || c === chunks[chunks.length - 1])), `${chunks.map((c) => c.length)}`);
  t.equal(Buffer.concat(chunks).length, 200_000);
  t.equal(Buffer.concat(await readAll(await entry!.open())).length, 200_000, 'opened again from the start');
});

t.test('a fixture export lists media and JSON alike', async (t) => {
  const entries = await listFolder(join(FIXTURES, 'fb-2025'));
  t.ok(entries.some((e) => e.path === 'your_facebook_activity/messages/inbox/zoemartin_1001/photos/1234_5678.jpg'));
  t.ok(entries.some((e) => e.path === 'personal_information/profile_information/profile_information.json'));
  t.notOk(entries.some((e) => e.path.includes('\\') || e.path.startsWith('/')));
});

t.test('symbolic links: folders never followed, files only inside the tree', { skip: process.platform === 'win32' }, async (t) => {
  const outside = await tempTree(t, { 'secret.json': '{}', 'dir/x.json': '{}' });
  const root = await tempTree(t, { 'real/message_1.json': '{"a":1}' });
  await symlink(join(root, 'real'), join(root, 'linked-inside'));
  await symlink(join(outside, 'dir'), join(root, 'linked-outside'));
  await symlink(root, join(root, 'real', 'loop'));
  await symlink(join(root, 'real', 'message_1.json'), join(root, 'alias.json'));
  await symlink(join(outside, 'secret.json'), join(root, 'secret.json'));
  await symlink(join(root, 'nowhere'), join(root, 'broken.json'));
  const skipped: [string, string][] = [];
  const listed = await listFolder(root, { onSkip: (path, reason) => skipped.push([path.slice(root.length + 1), reason]) });
  const entries = listed.filter((e) => e.skip === undefined);
  t.same(entries.map((e) => e.path), ['alias.json', 'real/message_1.json']);
  t.equal(entries[0]!.size, 7, 'a linked file has its target size');
  t.same(listed.filter((e) => e.skip !== undefined).map((e) => [e.path, e.skip]).sort(), skipped.slice().sort(), 'what is left out is listed, to be counted');
  t.same(skipped.sort(), [
    ['broken.json', FOLDER_SKIP.brokenLink],
    ['linked-inside', FOLDER_SKIP.linkedFolder],
    ['linked-outside', FOLDER_SKIP.linkedFolder],
    ['real/loop', FOLDER_SKIP.linkedFolder],
    ['secret.json', FOLDER_SKIP.linkOutside],
  ]);
});

t.test('the root may itself be a link; names keep the path as given', { skip: process.platform === 'win32' }, async (t) => {
  const real = await tempTree(t, { 'inbox/a_1/message_1.json': '{}' });
  const holder = await tempTree(t, {});
  const link = join(holder, 'export');
  await symlink(real, link);
  const entries = await listFolder(link);
  t.same(entries.map((e) => [e.path, e.name, e.input]), [['inbox/a_1/message_1.json', join(link, 'inbox/a_1/message_1.json'), link]]);
});

t.test('a missing root or a file is a usage error; an unreadable folder an I/O error without onProblem', async (t) => {
  const root = await tempTree(t, { 'f.json': '{}', 'locked/x.json': '{}' });
  await t.rejects(listFolder(join(root, 'nope')), UsageError);
  await t.rejects(listFolder(join(root, 'f.json')), { code: 'FBS_USAGE', message: /not a folder/ });
  const denied = (dir: string) => {
    if (dir.endsWith('locked')) throw Object.assign(new Error(`EACCES: permission denied, scandir '${dir}'`), { code: 'EACCES' });
    return readdirSync(dir, { withFileTypes: true });
  };
  await t.rejects(listFolder(root, { readdir: denied }), { code: 'FBS_IO', message: /locked.*EACCES/ });
  await t.rejects(listFolder(root, { readdir: () => denied(join(root, 'locked')), onProblem: () => {} }), IoError, 'the root itself unreadable: always an error');
});

const THREAD = JSON.stringify({ participants: [{ name: 'Ada' }, { name: 'Zoë' }], messages: [{ sender_name: 'Ada', timestamp_ms: 1, content: 'hi' }] });

t.test('one unreadable thread folder is a problem for that folder only; the others are listed', async (t) => {
  const root = await tempTree(t, {
    'messages/inbox/a_1/message_1.json': THREAD,
    'messages/inbox/b_2/message_1.json': THREAD,
    'messages/inbox/c_3/message_1.json': THREAD,
  });
  const locked = join(root, 'messages', 'inbox', 'b_2');
  const problems: FolderProblem[] = [];
  const entries = await listFolder(root, {
    onProblem: (p) => problems.push(p),
    readdir: (dir) => {
      if (dir === locked) throw Object.assign(new Error(`EACCES: permission denied, scandir '${dir}'`), { code: 'EACCES' });
      return readdirSync(dir, { withFileTypes: true });
    },
  });
  t.same(entries.map((e) => e.path), ['messages/inbox/a_1/message_1.json', 'messages/inbox/c_3/message_1.json']);
  t.same(problems.map((p) => [p.path, p.error.code]), [[locked, 'FBS_IO']]);
  t.match(problems[0]!.error.message, `cannot read folder ${locked}: EACCES`, 'names the folder and the reason');
});

t.test('a thread folder that vanishes after its parent was listed is a problem for it only', async (t) => {
  const root = await tempTree(t, { 'inbox/a_1/message_1.json': THREAD, 'inbox/b_2/message_1.json': THREAD });
  const problems: FolderProblem[] = [];
  const entries = await listFolder(root, {
    onProblem: (p) => problems.push(p),
    readdir: (dir) => {
      const list = readdirSync(dir, { withFileTypes: true });
      if (dir === join(root, 'inbox')) execFileSync('rm', ['-rf', join(root, 'inbox', 'a_1')]);
      return list;
    },
  });
  t.same(entries.map((e) => e.path), ['inbox/b_2/message_1.json']);
  t.match(problems.map((p) => p.error.message), [/cannot read folder .*a_1: ENOENT/]);
});

t.test('chmod 000 on a thread folder (not as root, where it denies nothing)', { skip: process.getuid?.() === 0 || process.platform === 'win32' ? 'runs as root or on Windows' : false }, async (t) => {
  const root = await tempTree(t, { 'inbox/a_1/message_1.json': THREAD, 'inbox/b_2/message_1.json': THREAD });
  const { chmod } = await import('node:fs/promises');
  await chmod(join(root, 'inbox', 'a_1'), 0o000);
  t.teardown(() => chmod(join(root, 'inbox', 'a_1'), 0o755));
  await t.rejects(listFolder(root), IoError);
  const problems: FolderProblem[] = [];
  t.same((await listFolder(root, { onProblem: (p) => problems.push(p) })).map((e) => e.path), ['inbox/b_2/message_1.json']);
  t.match(problems.map((p) => p.error.message), [/a_1: EACCES/]);
});

t.test('a FIFO, a dangling link as a thread folder: listed to be counted, never opened', { skip: process.platform === 'win32' }, async (t) => {
  const root = await tempTree(t, { 'messages/inbox/a_1/message_1.json': THREAD });
  execFileSync('mkfifo', [join(root, 'messages', 'inbox', 'a_1', 'message_2.json')]);
  await symlink(join(root, 'gone'), join(root, 'messages', 'inbox', 'b_2'));
  const skipped: string[] = [];
  const entries = await listFolder(root, { onSkip: (path, reason) => skipped.push(`${path.slice(root.length + 1)}: ${reason}`) });
  t.same(entries.map((e) => [e.path, e.skip]), [
    ['messages/inbox/a_1/message_1.json', undefined],
    ['messages/inbox/a_1/message_2.json', FOLDER_SKIP.special],
    ['messages/inbox/b_2', FOLDER_SKIP.brokenLink],
  ]);
  t.same(skipped.sort(), [`messages/inbox/a_1/message_2.json: ${FOLDER_SKIP.special}`, `messages/inbox/b_2: ${FOLDER_SKIP.brokenLink}`]);
  t.throws(() => entries[1]!.open(), { code: 'FBS_IO', message: /not read/ }, 'opening it is refused, not blocked');

  const opened = await openExport([root]);
  t.teardown(() => opened.close());
  t.same(opened.index.threads.map((p) => [p.key, p.parts.map((e) => e.path)]), [['inbox/a_1', ['messages/inbox/a_1/message_1.json']]]);
  t.same(
    opened.index.skipped.map((g) => [g.reason, g.count]).sort(),
    [[FOLDER_SKIP.brokenLink, 1], [FOLDER_SKIP.special, 1]],
    'counted in the export index, for the "not read" summary',
  );
});

t.test('an empty folder lists nothing', async (t) => {
  t.same(await listFolder(await tempTree(t, {})), []);
});
