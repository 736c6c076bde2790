/**
 * bench/export-floor.ts, the export bench's per-byte floor: it must read exactly the JSON the CLI
 * converts by default (the bench divides those bytes by its time) and write every text once.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { floorFiles, runFloor } from '../bench/export-floor.js';
import { writeExport } from '../bench/export-tree.js';

t.test('the floor reads the converted sections and the E2EE download, and writes each text once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-floor-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const stats = writeExport(join(dir, 'root'), { size: 3e6, seed: 3, mediaRatio: 0.05, shape: 'real' });
  t.ok(stats.e2eeRoot && stats.sections['message_requests']!.threads > 0 && stats.sections['filtered_threads']!.threads > 0, 'sections the CLI leaves out by default are there');
  const roots = [stats.root, stats.e2eeRoot!];

  let texts = 0;
  for (const root of roots) {
    for (const file of floorFiles(root)) {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { messages: { content?: unknown; text?: unknown }[] };
      texts += doc.messages.filter((m) => typeof (m.content ?? m.text) === 'string').length;
    }
  }
  const outPath = join(dir, 'out.jsonl');
  const fd = openSync(outPath, 'w');
  const r = runFloor(roots, fd);
  closeSync(fd);
  t.equal(r.bytes, stats.convertedJsonBytes, 'the bytes the bench counts as converted');
  const lines = readFileSync(outPath, 'utf8').split('\n');
  t.equal(lines.pop(), '', 'every line ends');
  t.equal(lines.length, r.lines);
  const written = lines.map((l) => (JSON.parse(l) as { messages: { role: string; content: string }[] }).messages);
  t.equal(written.reduce((n, m) => n + m.length, 0), texts, `every text once (${texts})`);
  t.ok(texts > 1000 && written.every((m) => m.length > 0 && m.length <= 8), 'lines of at most 8 texts');
  t.equal(r.outBytes, Buffer.byteLength(lines.join('\n') + '\n'), 'bytes out counted');
});
