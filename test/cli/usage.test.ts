/**
 * The command line itself: --help, --version, usage errors (exit 2, the option and its rule named),
 * and `--me` naming nobody (their rows in docs/reliability.md#behaviour).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { collect, fixture, looksLikeStackTrace, ROOT, runCli, spawnCli } from '../support/cli.js';

// independent scenarios (own temp folders, own child processes): run a few at once
t.jobs = 4;

const THREAD = fixture('thread.json');
const ME = ['--me', 'Ada Lovelace'];
const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };

t.test('--help prints usage to stdout, exit 0, listing the options', async (t) => {
  const r = await runCli(['--help']);
  t.equal(r.code, 0, 'exit 0');
  t.equal(r.stderr, '', 'nothing on stderr');
  t.match(r.stdout, /usage/i);
  for (const opt of ['--me', '--out', '-o', '--window', '--overlap', '--no-merge|--merge', '--preset', '--quiet', '--help', '--version']) {
    t.match(r.stdout, new RegExp(`(?:^|[\\s,])(?:${opt})\\b`, 'm'), `lists ${opt}`);
  }
  t.match(r.stdout, /langchain/, 'names the langchain preset');
});

t.test('-h is --help', async (t) => {
  const r = await runCli(['-h']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.match(r.stdout, /--window/);
});

t.test('--version prints package.json version', async (t) => {
  const r = await runCli(['--version']);
  t.equal(r.code, 0);
  t.equal(r.stdout.trim(), pkg.version);
  t.equal(r.stderr, '');
});

/** Each bad command line: exit 2, nothing on stdout, stderr naming the option (and the rule). */
const usageErrors: { name: string; args: string[]; stderr: RegExp[] }[] = [
  { name: '--window 0', args: [...ME, '--window', '0', THREAD], stderr: [/--window/, /(?:>=?\s*1|at least 1|positive)/i] },
  { name: '--window 2.5', args: [...ME, '--window', '2.5', THREAD], stderr: [/--window/, /integer|whole/i] },
  { name: '--jobs abc', args: [...ME, '--jobs', 'abc', THREAD], stderr: [/--jobs: must be an integer >= 1, got something that is not a number\n/] },
  { name: '--overlap 8 --window 8', args: [...ME, '--overlap', '8', '--window', '8', THREAD], stderr: [/--overlap/, /less than|smaller than|</i, /--window|\b8\b/] },
  { name: '--overlap -1', args: [...ME, '--overlap', '-1', THREAD], stderr: [/--overlap/, /(?:>=?\s*0|at least 0|negative)/i] },
  { name: 'unknown flag --frobnicate', args: [...ME, '--frobnicate', THREAD], stderr: [/frobnicate/, /unknown/i] },
  { name: 'missing --me', args: [THREAD], stderr: [/--me/, /required|missing/i, /participants: Charles Babbage, Ada Lovelace\n/] },
  { name: 'nonexistent input file', args: [...ME, fixture('does-not-exist.json')], stderr: [/does-not-exist\.json/, /no such file|not found|does not exist/i] },
];

for (const c of usageErrors) {
  t.test(`usage error: ${c.name}`, async (t) => {
    const r = await runCli(c.args);
    t.equal(r.code, 2, 'exit 2');
    t.equal(r.stdout, '', 'nothing on stdout');
    for (const re of c.stderr) t.match(r.stderr, re, `stderr matches ${re}`);
    t.notOk(looksLikeStackTrace(r.stderr), 'no stack trace');
  });
}

t.test('usage errors come before reading stdin', async (t) => {
  // stdin would hang the run if it were read: it is never ended here
  const child = spawnCli([...ME, '--window', '0']);
  child.stdin!.write('{"messages": [');
  const r = await collect(child, 5_000);
  t.notOk(r.timedOut, 'did not wait for stdin');
  t.equal(r.code, 2);
});

t.test('--me that matches nobody', async (t) => {
  t.test('a first name: participants listed, the full name suggested', async (t) => {
    const r = await runCli(['--me', 'Ada', THREAD]);
    t.equal(r.code, 2, 'exit 2');
    t.equal(r.stdout, '', 'no examples');
    t.match(r.stderr, /Ada Lovelace/);
    t.match(r.stderr, /Charles Babbage/, 'lists every participant');
    t.match(r.stderr, /did you mean\W+Ada Lovelace/i, 'suggests the closest name');
    t.notOk(looksLikeStackTrace(r.stderr));
  });

  t.test('a typo: the closest name is suggested', async (t) => {
    const r = await runCli(['--me', 'Ada Lovelce', THREAD]);
    t.equal(r.code, 2);
    t.match(r.stderr, /did you mean\W+Ada Lovelace/i);
  });

  t.test('nobody close: participants listed, no suggestion', async (t) => {
    const r = await runCli(['--me', 'Bob', THREAD]);
    t.equal(r.code, 2);
    t.match(r.stderr, /Ada Lovelace/);
    t.match(r.stderr, /Charles Babbage/);
    t.notMatch(r.stderr, /did you mean/i);
  });

  t.test('names are compared with the repaired (real) text', async (t) => {
    // "Renée" written the way Meta writes it: UTF-8 bytes as \u00XX escapes
    const doc = JSON.stringify({
      participants: [{ name: 'Ren\u00c3\u00a9e Dupont' }, { name: 'Ada Lovelace' }],
      messages: [
        { sender_name: 'Ren\u00c3\u00a9e Dupont', timestamp_ms: 2, content: 'Merci' },
        { sender_name: 'Ada Lovelace', timestamp_ms: 1, content: 'Bonjour' },
      ],
      title: 'Ren\u00c3\u00a9e Dupont',
      thread_path: 'inbox/reneedupont_1',
    });
    const ascii = doc.replace(/[\u0080-\u00ff]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
    const r = await runCli(['--me', 'Ren\u00e9e Dupont', '-q'], { stdin: ascii });
    t.equal(r.code, 0, 'the real name matches the mojibake sender');
    t.equal(r.stdout, JSON.stringify({ messages: [{ role: 'user', content: 'Bonjour' }, { role: 'assistant', content: 'Merci' }] }) + '\n');
    const r2 = await runCli(['--me', 'Renee', '-q'], { stdin: ascii });
    t.equal(r2.code, 2);
    t.match(r2.stderr, 'Ren\u00e9e Dupont', 'participants are listed repaired');
  });
});
