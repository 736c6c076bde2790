/** cli/young-generation.ts: the young generation kept at its size, also after a worker starts. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { PIN_YOUNG_GENERATION_FLAG, youngGenerationFlag } from '../../cli/young-generation.js';
import { cliEnv, ROOT } from '../support/cli.js';

t.test("the flag, unless node's command line sized the young generation", async (t) => {
  t.equal(youngGenerationFlag([]), PIN_YOUNG_GENERATION_FLAG);
  t.equal(PIN_YOUNG_GENERATION_FLAG, '--semi-space-growth-factor=1');
  for (const arg of ['--max-semi-space-size=8', '--max_semi_space_size=8', '--min-semi-space-size=1', '--semi-space-growth-factor=4', '--max-semi-space-size']) {
    t.equal(youngGenerationFlag(['--enable-source-maps', arg]), null, arg);
  }
  t.equal(youngGenerationFlag(['--max-old-space-size=64']), PIN_YOUNG_GENERATION_FLAG, 'the old generation is another matter');
});

/**
 * A child that starts a worker (as `inspect` starts its counting worker), waits until it is
 * online, then allocates what survives young collections (what makes V8 grow the space) and
 * prints its young generation's size in MB. `pin`: how the flag is set. The built module, in a
 * plain node (no test runner's loaders in NODE_OPTIONS): they would grow the space before any pin.
 */
function youngSpaceAfterWorker(pin: 'pinYoungGeneration' | 'flag only' | 'none'): number {
  const url = pathToFileURL(join(ROOT, 'dist', 'cli', 'young-generation.js')).href;
  const script = [
    `import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';`,
    `import { Worker } from 'node:worker_threads';`,
    pin === 'pinYoungGeneration' ? `(await import(${JSON.stringify(url)})).pinYoungGeneration();` : '',
    pin === 'flag only' ? `setFlagsFromString(${JSON.stringify(PIN_YOUNG_GENERATION_FLAG)});` : '',
    `const worker = new Worker('setTimeout(() => {}, 50)', { eval: true });`,
    `await new Promise((resolve) => worker.once('online', resolve));`,
    `await new Promise((resolve) => setImmediate(resolve));`,
    `let kept = [];`,
    `for (let i = 0; i < 4e6; ++i) { kept.push({ i, s: 'x' + i }); if (kept.length > 200000) kept = []; }`,
    `const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');`,
    `console.log(young.space_size / 1048576);`,
  ].join('\n');
  // through a shell that drops what tap's hook puts back into NODE_OPTIONS (as test/support/cli.ts does)
  const child = spawnSync('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env: cliEnv() });
  if (child.status !== 0) throw new Error(`child failed (${child.status}): ${child.stderr}`);
  return Number(child.stdout.trim());
}

t.test('pinned, the young generation stays small after a worker started', async (t) => {
  const unpinned = youngSpaceAfterWorker('none');
  t.ok(unpinned >= 16, `without the flag this workload grows it (${unpinned} MB)`);
  const flagOnly = youngSpaceAfterWorker('flag only');
  t.ok(flagOnly >= 16, `the flag set once is undone by the worker's start (${flagOnly} MB)`);
  const pinned = youngSpaceAfterWorker('pinYoungGeneration');
  t.ok(pinned <= 4, `pinYoungGeneration sets it again once the worker is online (${pinned} MB)`);
});
