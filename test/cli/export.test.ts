/**
 * Whole exports through the CLI (issue 3): folders and zip parts, owner detection, selection,
 * workers, a failing thread, inspect.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { join, relative } from 'node:path';
import yazl from 'yazl';
import { cliEnv, CLI_PATH, collect, looksLikeStackTrace, ROOT, runCli, tempDir } from '../support/cli.js';

const EXPORTS = join(ROOT, 'test', 'fixtures', 'exports');
const EXAMPLE = join(ROOT, 'examples', 'export');
t.jobs = 4;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Zip `root`'s files into `path` (those `pick` keeps), as Meta's parts are. */
async function zipFolder(root: string, path: string, pick: (rel: string) => boolean = () => true): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const f of files(root)) if (pick(relative(root, f))) zip.addFile(f, relative(root, f));
  zip.end();
  await new Promise<void>((resolve, reject) => zip.outputStream.pipe(createWriteStream(path)).on('close', resolve).on('error', reject));
}

const lines = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l));

t.test('a folder: the owner is the default --me, and the same as naming it', async (t) => {
  const auto = await runCli([EXAMPLE]);
  t.equal(auto.code, 0);
  t.match(auto.stderr, /as Ada Lovelace \(the export owner/);
  t.equal(lines(auto.stdout).length, 7);
  const named = await runCli([EXAMPLE, '--me', 'Ada Lovelace', '-q']);
  t.equal(named.stdout, auto.stdout);
});

t.test('a --me nobody in the selected threads is refused before converting, with a suggestion', async (t) => {
  const typo = await runCli([EXAMPLE, '--me', 'ada lovelace']);
  t.equal(typo.code, 2);
  t.match(typo.stderr, /--me "ada lovelace" matches no sender or participant\. Did you mean "Ada Lovelace"\?/);
  t.notMatch(typo.stderr, /threads, as /, 'said before the run starts');
  t.equal(typo.stdout, '', 'nothing written');
  // a participant who is in some threads only is a fine --me
  const mary = await runCli([EXAMPLE, '--me', 'Mary Somerville', '-q']);
  t.equal(mary.code, 0);
  t.ok(lines(mary.stdout).length > 0);
  // someone who left a group chat is a sender there, no longer a participant: not refused early
  const dir = tempDir(t);
  const left = join(dir, 'messages', 'inbox', 'oldgroup_1');
  mkdirSync(left, { recursive: true });
  const group = {
    participants: [{ name: 'Mary Somerville' }, { name: 'Ada Lovelace' }, { name: 'Michael Faraday' }],
    messages: [
      { sender_name: 'Ada Lovelace', timestamp_ms: 1.7e12 + 2, content: 'Of course!' },
      { sender_name: 'Charles Babbage', timestamp_ms: 1.7e12 + 1, content: 'May I join?' },
      { sender_name: 'Mary Somerville', timestamp_ms: 1.7e12, content: 'Who else is coming?' },
    ],
  };
  writeFileSync(join(left, 'message_1.json'), JSON.stringify(group));
  const sender = await runCli([join(dir, 'messages'), '--me', 'Charles Babbage', '-q']);
  t.equal(sender.code, 0, sender.stderr);
  t.equal(lines(sender.stdout).length, 1);
});

t.test('zip parts read in place give the same bytes as the unpacked folder, for any --jobs', async (t) => {
  const dir = tempDir(t);
  await zipFolder(EXAMPLE, join(dir, 'facebook-ada-1.zip'), (p) => p.includes('charles'));
  await zipFolder(EXAMPLE, join(dir, 'facebook-ada-2.zip'), (p) => !p.includes('charles'));
  const folder = await runCli([EXAMPLE, '-q', '--jobs', '1']);
  for (const jobs of ['1', '2', '3']) {
    const zips = await runCli([join(dir, 'facebook-ada-1.zip'), join(dir, 'facebook-ada-2.zip'), '-q', '--jobs', jobs]);
    t.equal(zips.code, 0, `--jobs ${jobs}: exit 0`);
    t.equal(zips.stdout, folder.stdout, `--jobs ${jobs}: byte-identical`);
  }
});

t.test('a thread split over two inputs is one conversation', async (t) => {
  const both = await runCli([join(EXPORTS, 'split', 'part1'), join(EXPORTS, 'split', 'part2'), '-q']);
  t.equal(both.code, 0);
  const one = await runCli([join(EXPORTS, 'split', 'part1'), '-q']);
  t.ok(lines(both.stdout).length >= lines(one.stdout).length);
  const warned = await runCli([join(EXPORTS, 'split', 'part1')]);
  t.match(warned.stderr, /parts 2 missing/, 'a part not given is reported');
});

t.test('selection: sections, groups, thread patterns, dates', async (t) => {
  const all = lines((await runCli([EXAMPLE, '-q'])).stdout).length;
  const oneToOne = await runCli([EXAMPLE, '--no-groups', '-q']);
  t.ok(lines(oneToOne.stdout).length < all, '--no-groups leaves the group chat out');
  const mary = await runCli([EXAMPLE, '--thread', 'marysomerville', '-q']);
  t.equal(lines(mary.stdout).length, 1, '--thread by folder name');
  const none = await runCli([EXAMPLE, '--sections', 'filtered_threads']);
  t.equal(none.code, 2, 'nothing selected is a usage error');
  t.match(none.stderr, /no thread selected/);
  const bad = await runCli([EXAMPLE, '--sections', 'inbox,spam']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--sections/);
  const late = await runCli([EXAMPLE, '--since', '2026-01-03', '-q']);
  t.ok(lines(late.stdout).length > 0 && lines(late.stdout).length < all, '--since keeps the later messages');
  t.equal((await runCli([EXAMPLE, '--until', 'not a date'])).code, 2);
  const backwards = await runCli([EXAMPLE, '--since', '2026-02-01', '--until', '2026-01-01']);
  t.equal(backwards.code, 2, '--since after --until is a usage error, not an empty dataset');
  t.match(backwards.stderr, /--until: must be after --since \(2026-02-01\)/);
  const sections = await runCli([join(EXPORTS, 'fb-2025')]);
  t.match(sections.stderr, /left out: 1 thread \(section filtered_threads\)/);
  t.match(sections.stderr, /left out: 1 thread \(section message_requests\)/);
});

t.test('a thread that fails is reported and left out; the others come out; exit 1', async (t) => {
  const dir = tempDir(t);
  cpSync(EXAMPLE, join(dir, 'export'), { recursive: true });
  const bad = join(dir, 'export', 'your_facebook_activity', 'messages', 'inbox', 'marysomerville_1122334455', 'message_1.json');
  writeFileSync(bad, readFileSync(bad, 'utf8').slice(0, 300));
  const out = join(dir, 'train.jsonl');
  const r = await runCli([join(dir, 'export'), '-o', out, '--jobs', '2']);
  t.equal(r.code, 1);
  t.match(r.stderr, /inbox\/marysomerville_1122334455 left out: .*message_1\.json at byte \d+: invalid JSON/);
  const got = lines(readFileSync(out, 'utf8'));
  t.equal(got.length, 6, 'the other threads are complete');
  t.notMatch(readFileSync(out, 'utf8'), /Your translation reads beautifully/, 'nothing from the failed thread');
});

t.test('an HTML export, an empty folder, an ambiguous owner', async (t) => {
  const html = await runCli([join(EXPORTS, 'html-export')]);
  t.equal(html.code, 2);
  t.match(html.stderr, /HTML.*JSON/);
  const dir = tempDir(t);
  mkdirSync(join(dir, 'empty'));
  t.equal((await runCli([join(dir, 'empty')])).code, 2);
  // one 1:1 thread: both people are in every thread
  const single = join(dir, 'single');
  cpSync(join(EXAMPLE, 'your_facebook_activity', 'messages', 'inbox', 'marysomerville_1122334455'), join(single, 'messages', 'inbox', 'marysomerville_1122334455'), { recursive: true });
  const ambiguous = await runCli([single]);
  t.equal(ambiguous.code, 2);
  t.match(ambiguous.stderr, /--me NAME.*Mary Somerville.*Ada Lovelace|--me NAME.*Ada Lovelace.*Mary Somerville/);
  t.equal((await runCli([single, '--me', 'Ada Lovelace', '-q'])).code, 0, '--me settles it');
});

t.test('JSON files collected in a folder, in no export layout: the error names them and says to name them', async (t) => {
  const dir = tempDir(t);
  const loose = join(dir, 'loose');
  mkdirSync(loose);
  const thread = { participants: [{ name: 'Zoë Martin' }, { name: 'Ada Lovelace' }], messages: [{ sender_name: 'Ada Lovelace', timestamp_ms: 1.7e12, content: 'hi' }] };
  writeFileSync(join(loose, 'chat.json'), JSON.stringify(thread));
  writeFileSync(join(loose, 'notes.json'), '{}');
  for (const args of [[loose, '--me', 'Ada Lovelace'], ['inspect', loose]]) {
    const r = await runCli(args);
    t.equal(r.code, 2, args[0]);
    t.match(r.stderr, /no Messenger threads .* 2 \.json files there \(.*chat\.json, .*notes\.json\) are in no export layout: to read a file as a thread, name the file itself/);
  }
  const named = await runCli([join(loose, 'chat.json'), '--me', 'Ada Lovelace', '-q']);
  t.equal(named.code, 0, 'named, it is read');
  // beside a real export, such a file is counted as not read, and the export converts
  const mixed = join(dir, 'mixed');
  cpSync(EXAMPLE, mixed, { recursive: true });
  writeFileSync(join(mixed, 'notes.json'), '{}');
  const r = await runCli([mixed]);
  t.equal(r.code, 0);
  t.match(r.stderr, /not read: 1 file \(JSON at the top of an input folder or zip, in no export layout/);
  t.equal(lines(r.stdout).length, 7);
});

t.test('inspect: owner, threads, messages per kind, dates; --json', async (t) => {
  const human = await runCli(['inspect', EXAMPLE]);
  t.equal(human.code, 0);
  t.match(human.stdout, /owner: Ada Lovelace/);
  t.match(human.stdout, /threads: 3 \(by section: inbox 3; by dialect: classic 3\)/);
  t.match(human.stdout, /participants: 5 \(Ada Lovelace \(3 threads\), .*\(1 thread\)/);
  t.match(human.stdout, /messages: 50 \(/);
  const json = await runCli(['inspect', EXAMPLE, join(EXPORTS, 'e2ee-download'), '--json']);
  t.equal(json.code, 0);
  const r = JSON.parse(json.stdout);
  t.equal(r.owner, 'Ada Lovelace');
  t.equal(r.threads.length, 5);
  t.same(r.threads.map((x: { dialect: string }) => x.dialect).sort(), ['classic', 'classic', 'classic', 'e2ee', 'e2ee']);
  t.equal(r.messages.total, 54);
  t.equal(r.messages.kinds.text, 43);
  t.match(r.dateRange, { first: /^2023-11-14/, last: /^2026-01-04/ });
});

t.test('inspect names the parts a thread is missing', async (t) => {
  const dir = tempDir(t);
  const copy = join(dir, 'export');
  cpSync(EXAMPLE, copy, { recursive: true });
  rmSync(join(copy, 'your_facebook_activity', 'messages', 'inbox', 'charlesbabbage_1029384756', 'message_2.json'));
  const human = await runCli(['inspect', copy]);
  t.equal(human.code, 0);
  t.match(human.stdout, /inbox\/charlesbabbage_1029384756 .* \(parts 2 missing\)/);
  const json = JSON.parse((await runCli(['inspect', copy, '--json'])).stdout) as { threads: { key: string; missingParts?: number[] }[] };
  t.same(json.threads.map((x) => x.missingParts ?? null), [[2], null, null]);
});

t.test('inspect into a reader that leaves early (| head -c 1): exit 0, no stack trace', { skip: existsSync('/bin/bash') ? false : 'needs /bin/bash' }, async (t) => {
  // 1,000 threads: --json is ~370 KB, the text ~90 KB, more than a pipe holds: inspect is still
  // writing when head has its byte and leaves, and its next write fails with EPIPE
  const inbox = join(tempDir(t), 'your_facebook_activity', 'messages', 'inbox');
  for (let i = 0; i < 1000; ++i) {
    mkdirSync(join(inbox, `friend${i}_${i}`), { recursive: true });
    const thread = { participants: [{ name: `Friend ${i}` }, { name: 'Ada Lovelace' }], messages: [{ sender_name: 'Ada Lovelace', timestamp_ms: 1.7e12 + i, content: 'hi' }] };
    writeFileSync(join(inbox, `friend${i}_${i}`, 'message_1.json'), JSON.stringify(thread));
  }
  for (const format of ['--json', '--no-json']) {
    // PIPESTATUS[0] is fbstream's own exit code
    const script = 'unset NODE_OPTIONS; "$0" "$1" inspect "$2" "$3" | head -c 1 >/dev/null; echo "fbstream-exit=${PIPESTATUS[0]}" >&2';
    const child = spawn('/bin/bash', ['-c', script, process.execPath, CLI_PATH, inbox, format], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(child, 30_000);
    t.match(r.stderr, /fbstream-exit=0\b/, `fbstream exited 0 (${format})`);
    t.notOk(looksLikeStackTrace(r.stderr), 'no stack trace');
    t.notMatch(r.stderr, /EPIPE|Unhandled/, 'no error noise');
  }
});

t.test('inspect a file named as an input: read as a thread whatever its name, its dialect from its content', async (t) => {
  const dir = tempDir(t);
  const classic = JSON.stringify({ participants: [{ name: 'Zoë Martin' }, { name: 'Ada Lovelace' }], messages: [{ sender_name: 'Ada Lovelace', timestamp_ms: 1.7e12, content: 'hi' }] });
  const e2ee = JSON.stringify({ participants: ['Zoë Martin', 'Ada Lovelace'], threadName: 'Zoë Martin_7', messages: [{ senderName: 'Ada Lovelace', timestamp: 1.7e12, text: 'hi', type: 'text' }] });
  writeFileSync(join(dir, 'my chat.json'), classic);
  writeFileSync(join(dir, 'Zoë Martin_7.json'), classic); // an E2EE download's name, a classic file
  writeFileSync(join(dir, 'Bo_3.json'), e2ee.replace(/Zoë Martin/g, 'Bo'));
  const r = await runCli(['inspect', join(dir, 'my chat.json'), join(dir, 'Zoë Martin_7.json'), join(dir, 'Bo_3.json'), '--json']);
  t.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { owner: string; threads: { key: string; dialect: string; messages: number }[] };
  t.equal(got.owner, 'Ada Lovelace');
  t.same(
    got.threads.map((x) => [x.key, x.dialect, x.messages]).sort(),
    [['e2ee/Bo_3', 'e2ee', 1], ['e2ee/Zoë Martin_7', 'classic', 1], ['my chat', 'classic', 1]],
  );
});

t.test('two exports of different dates: overlapping messages come out once', async (t) => {
  const dir = tempDir(t);
  const older = join(dir, 'facebook-ada-2025');
  const newer = join(dir, 'facebook-ada-2026');
  cpSync(EXAMPLE, older, { recursive: true });
  cpSync(EXAMPLE, newer, { recursive: true });
  const part = join(newer, 'your_facebook_activity', 'messages', 'inbox', 'marysomerville_1122334455', 'message_1.json');
  const doc = JSON.parse(readFileSync(part, 'utf8'));
  doc.messages.unshift({ sender_name: 'Ada Lovelace', timestamp_ms: doc.messages[0].timestamp_ms + 60_000, content: 'A later message, only in the newer export.' });
  writeFileSync(part, JSON.stringify(doc, null, 2));
  const r = await runCli([older, newer, '--thread', 'marysomerville', '--window', '20']);
  t.equal(r.code, 0);
  const [example] = lines(r.stdout) as { messages: { content: string }[] }[];
  const text = example!.messages.map((m) => m.content).join('\n');
  t.equal(text.split('Your translation reads beautifully.').length - 1, 1, 'an old message once');
  t.match(text, /A later message, only in the newer export\./, 'the newer message is there');
  t.match(r.stderr, /duplicate messages left out: 4/, 'the four text messages both exports hold');
});

t.test('every thread failing: their own errors and exit 1, not "--me matches no sender"', async (t) => {
  const dir = tempDir(t);
  cpSync(EXAMPLE, join(dir, 'export'), { recursive: true });
  const threads = files(join(dir, 'export')).filter((f) => f.endsWith('.json'));
  for (const f of threads) {
    const text = readFileSync(f, 'utf8');
    writeFileSync(f, text.slice(0, text.indexOf('"messages"') + 30)); // participants intact, messages cut
  }
  for (const me of [['--me', 'Ada Lovelace'], []]) {
    const r = await runCli([join(dir, 'export'), ...me, '--jobs', '1']);
    t.equal(r.code, 1, `exit 1 ${me.join(' ') || '(the owner)'}`);
    t.notMatch(r.stderr, /matches no sender/);
    t.equal(r.stderr.match(/error: inbox\/\S+ left out: .*message_\d+\.json at byte \d+/g)?.length, 3, 'each thread named with its error');
    t.equal(r.stdout, '');
    t.notOk(looksLikeStackTrace(r.stderr));
  }
});

t.test('a truncated zip part among several: named and left out, the other part written (exit 1)', async (t) => {
  const dir = tempDir(t);
  const good = join(dir, 'facebook-ada-1.zip');
  const bad = join(dir, 'facebook-ada-2.zip');
  await zipFolder(EXAMPLE, good);
  await zipFolder(EXAMPLE, bad);
  writeFileSync(bad, readFileSync(bad).subarray(0, 300));
  const alone = await runCli([good, '-q']);
  t.equal(alone.code, 0);
  const r = await runCli([good, bad]);
  t.equal(r.code, 1);
  t.match(r.stderr, /error: .*facebook-ada-2\.zip left out: .*facebook-ada-2\.zip/);
  t.equal(r.stdout, alone.stdout, 'the good part as alone');
  t.notOk(looksLikeStackTrace(r.stderr));
});

t.test('a thread folder that cannot be listed: named and left out, the other threads written (exit 1)', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { chmodSync } = await import('node:fs');
  const dir = tempDir(t);
  chmodSync(dir, 0o755); // readable by the unprivileged user the CLI runs as below
  const root = join(dir, 'export');
  cpSync(EXAMPLE, root, { recursive: true });
  const locked = join(root, 'your_facebook_activity', 'messages', 'inbox', 'marysomerville_1122334455');
  const whole = await runCli([root, '-q']);
  chmodSync(locked, 0);
  t.teardown(() => chmodSync(locked, 0o755));
  // root reads any folder: run the CLI as nobody then (permission bits bind every other user)
  const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  // `env -i`: tap hooks every node it starts, and those hooks write under the repository
  const r = spawnSync('env', ['-i', process.execPath, CLI_PATH, root, '--jobs', '1'], { ...asUser, cwd: dir, encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stderr, /error: .*marysomerville_1122334455 left out: cannot read folder .*EACCES/);
  const got = lines(r.stdout);
  t.ok(got.length > 0 && got.length < lines(whole.stdout).length, 'the other threads written');
  t.notOk(looksLikeStackTrace(r.stderr), r.stderr);
});
