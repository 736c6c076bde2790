/**
 * Zipped exports end to end: deflated entries are inflated whole (lib/sources/zip/in-place.ts) up to
 * WHOLE_INFLATE_MAX and read as zlib streams above it; a zip with both kinds gives the same bytes as
 * the unpacked folder, with one job and with two.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { WHOLE_INFLATE_MAX } from '../../lib/sources/zip/in-place.js';
import { ROOT, runCli, tempDir } from '../support/cli.js';
import { yazlZip } from '../support/zip.js';

const EXAMPLE = join(ROOT, 'examples', 'export');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** A thread file of `count` messages (newest first, as Meta writes them). */
function threadFile(dir: string, name: string, count: number): number {
  const thread = join(dir, 'your_facebook_activity', 'messages', 'inbox', name);
  mkdirSync(thread, { recursive: true });
  const messages = Array.from({ length: count }, (_, i) => ({
    sender_name: i % 3 ? 'Ada Lovelace' : 'Long Thread',
    timestamp_ms: 1.7e12 + (count - i) * 61_000,
    content: `message ${i}: caf\u00c3\u00a9 ${'x'.repeat(i % 97)}`,
  }));
  const text = JSON.stringify({ participants: [{ name: 'Long Thread' }, { name: 'Ada Lovelace' }], messages }, null, 2);
  writeFileSync(join(thread, 'message_1.json'), text);
  return Buffer.byteLength(text);
}

t.test('a zipped export with small and very large entries gives the folder\'s bytes', async (t) => {
  const dir = tempDir(t);
  const root = join(dir, 'export');
  cpSync(EXAMPLE, root, { recursive: true });
  t.ok(threadFile(root, 'longthread_42', 6000) < WHOLE_INFLATE_MAX, 'a long thread inflated whole');
  t.ok(threadFile(root, 'hugethread_43', 70_000) > WHOLE_INFLATE_MAX, 'a thread larger than an entry inflated whole: streamed');
  const zip = join(dir, 'facebook-ada-1.zip');
  writeFileSync(zip, await yazlZip(files(root).map((f) => ({ name: relative(root, f), content: readFileSync(f) }))));

  const folder = await runCli([root, '-q']);
  t.equal(folder.code, 0, folder.stderr);
  t.ok(folder.stdout.split('\n').length > 1000, 'the long threads gave many examples');
  for (const jobs of ['1', '2']) {
    const zipped = await runCli([zip, '-q', '--jobs', jobs]);
    t.equal(zipped.code, 0, zipped.stderr);
    t.ok(zipped.stdoutBytes.equals(folder.stdoutBytes), `--jobs ${jobs}: byte-identical to the unpacked folder`);
  }
});
