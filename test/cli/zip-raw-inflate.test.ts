/**
 * The raw inflate path (lib/sources/raw-inflate.ts) end to end: a zipped export converted by the
 * CLI with the path switched off (FBSTREAM_NO_RAW_INFLATE=1: entries inflated by zlib streams) and
 * on gives the same bytes, and the same as the unpacked folder.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { ROOT, runCli, tempDir } from '../support/cli.js';
import { yazlZip } from '../support/zip.js';

const EXAMPLE = join(ROOT, 'examples', 'export');
const OFF = { FBSTREAM_NO_RAW_INFLATE: '1' };

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The example export plus a long thread: its entry spans many compressed reads and output blocks. */
function exportFolder(dir: string): string {
  const root = join(dir, 'export');
  cpSync(EXAMPLE, root, { recursive: true });
  const thread = join(root, 'your_facebook_activity', 'messages', 'inbox', 'longthread_42');
  mkdirSync(thread, { recursive: true });
  const messages = Array.from({ length: 6000 }, (_, i) => ({
    sender_name: i % 3 ? 'Ada Lovelace' : 'Long Thread',
    timestamp_ms: 1.7e12 + (6000 - i) * 61_000,
    content: `message ${i}: caf\u00c3\u00a9 ${'x'.repeat(i % 97)}`,
  }));
  writeFileSync(join(thread, 'message_1.json'), JSON.stringify({ participants: [{ name: 'Long Thread' }, { name: 'Ada Lovelace' }], messages }, null, 2));
  return root;
}

t.test('a zipped export: the same output with the raw inflate path off and on, and as the folder', async (t) => {
  const dir = tempDir(t);
  const root = exportFolder(dir);
  const zip = join(dir, 'facebook-ada-1.zip');
  writeFileSync(zip, await yazlZip(files(root).map((f) => ({ name: relative(root, f), content: readFileSync(f) }))));

  const folder = await runCli([root, '-q']);
  t.equal(folder.code, 0, folder.stderr);
  t.ok(folder.stdout.split('\n').length > 100, 'the long thread gave many examples');
  for (const jobs of ['1', '2']) {
    const on = await runCli([zip, '-q', '--jobs', jobs]);
    const off = await runCli([zip, '-q', '--jobs', jobs], { env: OFF });
    t.equal(on.code, 0, on.stderr);
    t.equal(off.code, 0, off.stderr);
    t.ok(on.stdoutBytes.equals(off.stdoutBytes), `--jobs ${jobs}: byte-identical with the raw path off and on`);
    t.ok(on.stdoutBytes.equals(folder.stdoutBytes), `--jobs ${jobs}: byte-identical to the unpacked folder`);
  }
});

t.test('FBSTREAM_NO_RAW_INFLATE=1 switches the raw path off in the built code', async (t) => {
  const module = join(ROOT, 'dist', 'lib', 'sources', 'raw-inflate.js');
  const script = `import(${JSON.stringify(module)}).then((m) => { const z = m.createRawInflater(); console.log(z === null ? 'off' : 'on'); z?.close(); })`;
  const run = (env: Record<string, string>) => spawnSync(process.execPath, ['-e', script], { env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8' });
  t.equal(run({}).stdout.trim(), 'on', 'by default the raw path is used (it passed its check)');
  t.equal(run(OFF).stdout.trim(), 'off');
  t.equal(run({ FBSTREAM_NO_RAW_INFLATE: '0' }).stdout.trim(), 'on', 'only 1 switches it off');
});
