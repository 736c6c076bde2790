import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { IoError, UsageError } from '../../lib/errors.js';
import { FOLDER_SKIP, listFolder } from '../../lib/sources/folder.js';

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
  const entries = await listFolder(root, { onSkip: (path, reason) => skipped.push([path.slice(root.length + 1), reason]) });
  t.same(entries.map((e) => e.path), ['alias.json', 'real/message_1.json']);
  t.equal(entries[0]!.size, 7, 'a linked file has its target size');
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

t.test('a missing root or a file is a usage error; an unreadable folder an I/O error', async (t) => {
  const root = await tempTree(t, { 'f.json': '{}', 'locked/x.json': '{}' });
  await t.rejects(listFolder(join(root, 'nope')), UsageError);
  await t.rejects(listFolder(join(root, 'f.json')), { code: 'FBS_USAGE', message: /not a folder/ });
  if (process.getuid?.() !== 0 && process.platform !== 'win32') {
    const { chmod } = await import('node:fs/promises');
    await chmod(join(root, 'locked'), 0o000);
    t.teardown(() => chmod(join(root, 'locked'), 0o755));
    await t.rejects(listFolder(root), IoError);
  }
});

t.test('an empty folder lists nothing', async (t) => {
  t.same(await listFolder(await tempTree(t, {})), []);
});
