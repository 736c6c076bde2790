/**
 * Constant memory: the built CLI validates a generated ~50 MB JSONL with a 64 MB heap (the encoding
 * alone takes about half of it; the file read whole would not fit beside it).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI_PATH, cliEnv, collect, tempDir } from '../support/cli.js';
import { generateJsonl } from './support/generate-jsonl.js';

t.test('a 50 MB file under --max-old-space-size=64', async (t) => {
  const dir = tempDir(t, 'fbstream-validate-memory-');
  const file = join(dir, 'big.jsonl');
  const { lines, bytes } = await generateJsonl(file, 50 * 1024 * 1024);
  t.ok(bytes >= 50 * 1024 * 1024);
  const child = spawn(process.execPath, ['--max-old-space-size=64', CLI_PATH, 'validate', file, '--model', 'gpt-4o', '--json'], { stdio: ['pipe', 'pipe', 'pipe'], env: cliEnv() });
  child.stdin.end();
  const r = await collect(child, 240_000);
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { valid: boolean; lines: number; examples: number; overLimit: number };
  t.match(report, { valid: true, lines, examples: lines, overLimit: 0 });
});
