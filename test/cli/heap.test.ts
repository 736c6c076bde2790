import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { heapFlag, HEAP_GROWING_PERCENT } from '../../cli/heap.js';
import { cliEnv, CLI_PATH, collect, tempDir } from '../support/cli.js';

t.test('the flag is set unless node was given one', async (t) => {
  t.equal(heapFlag([]), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  t.equal(heapFlag(['--max-old-space-size=160', '--enable-source-maps']), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  t.equal(heapFlag(['--heap-growing-percent=70']), null);
  t.equal(heapFlag(['--heap_growing_percent=70']), null, "V8's spelling with underscores");
});

/**
 * The heap growing factors V8 printed for the main isolate's full collections, converting a thread
 * of 5,000 messages (0.5 MB). `--gc-global` makes every collection a full one: ~10 after the
 * command line set the flag.
 */
async function factors(t: Test, nodeFlags: string[]): Promise<string[]> {
  const dir = tempDir(t);
  const input = join(dir, 'message_1.json');
  const messages = Array.from({ length: 5000 }, (_, i) => ({ sender_name: i % 2 ? 'Ada Lovelace' : 'Zoe', timestamp_ms: 2e12 - i * 1000, content: `message ${i} with a little text` }));
  writeFileSync(input, JSON.stringify({ participants: [{ name: 'Zoe' }, { name: 'Ada Lovelace' }], messages }));
  const args = [...nodeFlags, '--gc-global', '--trace-gc-verbose', CLI_PATH, '--me', 'Ada Lovelace', '--quiet', '-o', join(dir, 'out.jsonl'), input];
  const child = spawn(process.execPath, args, { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const result = await collect(child);
  t.equal(result.code, 0, result.stderr);
  return [...result.stdout.matchAll(/\[HeapController\] Limit: .*\((\d+\.\d)\)$/gm)].map((m) => m[1]!);
}

t.test('the command line makes V8 grow heaps by 1.3x, not up to 4x', async (t) => {
  const seen = await factors(t, []);
  t.ok(seen.length > 0, `full collections traced: ${seen.join(' ')}`);
  const ours = (1 + HEAP_GROWING_PERCENT / 100).toFixed(1);
  const from = seen.indexOf(ours);
  t.ok(from >= 0 && seen.length - from >= 3, `some collections use ${ours}`);
  t.same([...new Set(seen.slice(from))], [ours], 'every collection from then on');
});

t.test("a value given to node wins over the command line's", async (t) => {
  const seen = await factors(t, ['--heap-growing-percent=70']);
  t.ok(seen.length > 0);
  t.same([...new Set(seen)], ['1.7']);
});
