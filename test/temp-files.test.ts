/**
 * lib/temp-files.ts: a private folder per run (0700, under the folder given), removed by its owner,
 * and by the exit hook when a run is cut short; errors that name the file and say why.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createFileSpill } from '../lib/streams/spill-files.js';
import { createTempFolder, createTempFolderSync, describeIoError, ioError } from '../lib/temp-files.js';

function parentDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-temp-files-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a private folder under the parent given, removed by its owner', async (t) => {
  const parent = parentDir(t);
  for (const folder of [await createTempFolder('fbstream-x-', parent), createTempFolderSync('fbstream-y-', parent)]) {
    t.match(folder.path, new RegExp(`^${parent}/fbstream-[xy]-\\w{6}$`));
    t.equal(statSync(folder.path).mode & 0o777, 0o700, 'mode 0700');
    writeFileSync(folder.file('a.bin'), 'x');
    t.ok(existsSync(join(folder.path, 'a.bin')));
  }
  t.equal(readdirSync(parent).length, 2);
  const folder = await createTempFolder('fbstream-z-', parent);
  writeFileSync(folder.file('run-0.bin'), 'x');
  await folder.remove();
  await folder.remove(); // idempotent
  folder.removeSync();
  t.notOk(existsSync(folder.path));
});

t.test('a folder that cannot be made: an IoError naming where', async (t) => {
  const missing = join(parentDir(t), 'missing');
  await t.rejects(createTempFolder('fbstream-', missing), { code: 'FBS_IO', message: `cannot create a temporary folder in ${missing}: no such file or directory (ENOENT)` });
  t.throws(() => createTempFolderSync('fbstream-', missing), { code: 'FBS_IO', message: /no such file or directory/ });
  const spill = createFileSpill({ dir: missing });
  t.throws(() => spill.write([]), { code: 'FBS_IO', message: `cannot create a temporary folder in ${missing}` }, 'the sort spill says so too');
});

t.test('a file that cannot be written is named, with the reason and the code', async (t) => {
  const err = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
  t.equal(describeIoError(err), 'no space left on device (ENOSPC)');
  t.match(ioError('write', '/tmp/x/run-0.bin', err), { code: 'FBS_IO', message: 'cannot write /tmp/x/run-0.bin: no space left on device (ENOSPC)', cause: err });
  t.equal(describeIoError(new Error('plain')), 'plain');
  const root = process.getuid?.() === 0;
  t.test('a sort run in a folder that is not writable', { skip: root ? 'running as root: permissions do not stop writes' : false }, async (t) => {
    const parent = parentDir(t);
    const spill = createFileSpill({ dir: parent });
    spill.write([]); // makes the folder
    chmodSync(spill.dir!, 0o500);
    t.teardown(() => chmodSync(spill.dir!, 0o700));
    t.throws(() => spill.write([]), { code: 'FBS_IO', message: `cannot write ${join(spill.dir!, 'run-1.bin')}: permission denied (EACCES)` });
  });
});

t.test('a run cut short: the exit hook removes its folders and files', async (t) => {
  const parent = parentDir(t);
  const module = new URL('../lib/temp-files.ts', import.meta.url).href;
  // the child makes a folder, a file in it, and a file registered alone, then dies of an uncaught error
  const script = `
    import { createTempFolder, createTempFolderSync, removeAtExit } from ${JSON.stringify(module)};
    import { writeFileSync } from 'node:fs';
    const a = await createTempFolder('fbstream-a-', ${JSON.stringify(parent)});
    const b = createTempFolderSync('fbstream-b-', ${JSON.stringify(parent)});
    writeFileSync(a.file('thread-0.ndjson'), 'x');
    writeFileSync(${JSON.stringify(join(parent, '.out.tmp'))}, 'x');
    removeAtExit(${JSON.stringify(join(parent, '.out.tmp'))});
    console.log((await import('node:fs')).readdirSync(${JSON.stringify(parent)}).length);
    throw new Error('cut short');
  `;
  const r = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { encoding: 'utf8' });
  t.equal(r.stdout.trim(), '3', 'the child made two folders and a file');
  t.match(r.stderr, /cut short/, 'the child died of its error');
  t.same(readdirSync(parent), [], 'nothing left');
});
