// `fbstream upload FILE --provider together` as a user runs it, against the fake Together server
// (TOGETHER_BASE_URL): the file id on stdout, the bytes whole; a 401 said with both causes, exit 3.
// Build first (npx tsc -p tsconfig.json).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { looksLikeStackTrace, runCli, tempDir } from '../support/cli.js';
import { startFakeTogether } from '../support/fake-api/together.js';

const DATA = Array.from({ length: 12 }, (_, i) => `{"messages":[{"role":"user","content":"q${i}"},{"role":"assistant","content":"a${i}"}]}\n`).join('');
const envFor = (baseURL: string) => ({ TOGETHER_API_KEY: 'tg-key', TOGETHER_BASE_URL: baseURL, OPENAI_API_KEY: undefined, HTTPS_PROXY: undefined, HTTP_PROXY: undefined });

t.test('upload --provider together: the file id on stdout, the bytes whole, the key not sent to the signed URL', async (t) => {
  const fake = await startFakeTogether({ apiKey: 'tg-key' });
  t.teardown(fake.close);
  const file = join(tempDir(t), 'train.jsonl');
  writeFileSync(file, DATA);
  const r = await runCli(['upload', file, '--provider', 'together', '--uploads', '--json'], { env: envFor(fake.baseURL) });
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { id: string; bytes: number; via: string };
  t.match(out, { bytes: DATA.length, via: 'signed-url', filename: 'train.jsonl' });
  t.same(await fake.fileBytes(out.id), readFileSync(file));
  t.equal(fake.requests.find((q) => q.method === 'PUT')?.headers.authorization, undefined);
  t.match(r.stderr, /no Uploads API/);
});

t.test('upload --provider together with no credits: one request, both causes said, exit 3', async (t) => {
  const fake = await startFakeTogether({ noCredits: true });
  t.teardown(fake.close);
  const file = join(tempDir(t), 'train.jsonl');
  writeFileSync(file, DATA);
  const r = await runCli(['upload', file, '--provider', 'together'], { env: envFor(fake.baseURL) });
  t.equal(r.code, 3);
  t.equal(r.stdout, '');
  t.match(r.stderr, /401.*key is wrong.*no credits/s);
  t.equal(fake.requests.length, 1);
  t.notOk(looksLikeStackTrace(r.stderr));
});
