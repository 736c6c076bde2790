/**
 * The memory acceptance test (docs/architecture.md, "Memory": memory never grows with input size,
 * not with a 4 GB single file on stdin). The built CLI, with a 64 MB V8 heap, converts a >= 300 MB
 * single newest-first thread read from its stdin. The thread is generated on the fly by the built
 * generator (dist/bench/generate.js) in a process of its own whose stdout is the CLI's stdin: nothing
 * is written to disk, and the bytes do not pass through this process (where tap's coverage would
 * slow the generator down 2x). The output is checked line by line as it arrives; nothing of it is
 * kept, only one byte per generated message.
 *
 * Why the completeness check can be exact. bench/generate.ts starts every text message's content
 * with `#<seq> `, seq = its chronological index (0 = oldest); only text messages carry one, and
 * `stats.textSeqs` records which seqs are text and whose. With the default pipeline:
 * - the filter keeps text, shares and captioned media: every text message is kept (its content is
 *   not blank and, starting with `#`, never looks like a system notice); shares are kept too, with
 *   their link as content (`https://…`); everything else (photos without caption, stickers, calls,
 *   unsent, "X sent an attachment.", "Reacted … to your message ", empty) is left out;
 * - the run-merger joins one sender's consecutive messages with "\n\n": generated contents never
 *   hold "\n\n" nor leading/trailing white space, so splitting a turn on "\n\n" gives back each
 *   message's content exactly;
 * - a 1:1 thread has two senders, so after merging the turns alternate owner/friend: every window
 *   of >= 2 turns holds an assistant turn and none is dropped for lacking one;
 * - windows are 8 turns, 6 apart: a window's trailing user turn (its 8th) that is trimmed away is
 *   the 2nd turn of the next window, so nothing is lost except after the last window, and the
 *   newest message is the owner's (an assistant turn), so the final window ends on it; the last
 *   ("tail") window ends at the last turn, past every earlier one, so it is never skipped as
 *   contained in the previous example.
 * Hence every text seq appears in some example, in its owner's role, each example's seqs increase,
 * and the examples' first seqs never decrease. 2% of timestamps are ties (as in older exports):
 * newest-first ties must still come out in the order they were sent (the seq order).
 *
 * FBSTREAM_MEMTEST_SIZE (default 300MB), FBSTREAM_MEMTEST_HEAP_MB (default 64) and
 * FBSTREAM_MEMTEST_ARGS (extra CLI arguments, split on spaces, e.g. `--sort-memory 8`) exist to
 * investigate a failure; the acceptance test is the defaults.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { formatSize, parseSize } from '../bench/generate.js';

const CLI = fileURLToPath(new URL('../dist/cli/fbstream.js', import.meta.url));
const GENERATOR = fileURLToPath(new URL('../dist/bench/generate.js', import.meta.url));
const SIZE = parseSize(process.env['FBSTREAM_MEMTEST_SIZE'] ?? '300MB');
const HEAP_MB = Number(process.env['FBSTREAM_MEMTEST_HEAP_MB'] ?? 64);
/** An accented owner: `--me` is real text, the file holds its mojibake. */
const OWNER = 'Adèle Lovelace';
// one conversation, runs merged whatever their gaps, no weights: every text message comes out
// (but the owner's before the friend's first, which answer nothing and are not trained)
const EXTRA_ARGS = (process.env['FBSTREAM_MEMTEST_ARGS'] ?? '--session-gap 0 --merge-gap 0 --format hf').split(' ').filter(Boolean);
const SEQ = /^#(\d+) /;
const MAX_ERRORS = 20;

/**
 * Checks the CLI's output line by line: each line on its own as it arrives; at the end, against
 * the generator's record of which seqs are text messages and whose (it arrives when the generator
 * exits, which may be after the first lines). Keeps one byte per message seen, nothing else.
 */
class OutputChecker {
  /** Per seq: 1 seen as assistant, 2 seen as user (3: both, an error). Grows as needed. */
  private seen = new Uint8Array(1 << 20);
  lines = 0;
  bytes = 0;
  errorCount = 0;
  readonly errors: string[] = [];
  private lastFirstSeq = -1;
  private pending = '';
  private readonly utf8 = new StringDecoder('utf8');

  error(msg: string): void {
    if (++this.errorCount <= MAX_ERRORS) this.errors.push(msg);
  }

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    const text = this.pending + this.utf8.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.line(text.slice(start, nl));
      start = nl + 1;
    }
    this.pending = text.slice(start);
  }

  end(): void {
    const rest = this.pending + this.utf8.end();
    if (rest !== '') this.error(`output does not end with a newline: ${JSON.stringify(rest.slice(0, 200))}`);
  }

  private mark(seq: number, bit: number): void {
    if (seq >= this.seen.length) {
      let n = this.seen.length;
      while (n <= seq) n *= 2;
      const grown = new Uint8Array(n);
      grown.set(this.seen);
      this.seen = grown;
    }
    this.seen[seq]! |= bit;
  }

  private line(line: string): void {
    const where = `line ${++this.lines}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      return this.error(`${where}: not JSON (${(err as Error).message}): ${line.slice(0, 200)}`);
    }
    const messages = (value as { messages?: unknown })?.messages;
    if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).join() !== 'messages' || !Array.isArray(messages) || messages.length === 0) {
      return this.error(`${where}: not {"messages":[...]}: ${line.slice(0, 200)}`);
    }
    let prev = -1;
    let first = -1;
    for (const m of messages as unknown[]) {
      const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
      if ((role !== 'user' && role !== 'assistant') || typeof content !== 'string' || Object.keys(m as object).sort().join() !== 'content,role') {
        return this.error(`${where}: not a {role, content} chat message: ${JSON.stringify(m).slice(0, 200)}`);
      }
      for (const piece of content.split('\n\n')) {
        const match = SEQ.exec(piece);
        if (!match) {
          if (!piece.startsWith('https://')) this.error(`${where}: a turn part that is neither a text message nor a share: ${JSON.stringify(piece.slice(0, 200))}`);
          continue;
        }
        const seq = Number(match[1]);
        if (seq <= prev) this.error(`${where}: #${seq} comes after #${prev} in one example`);
        prev = seq;
        if (first < 0) first = seq;
        this.mark(seq, role === 'assistant' ? 1 : 2);
      }
    }
    if (first >= 0) {
      if (first < this.lastFirstSeq) this.error(`${where}: starts at #${first}, before the previous example (#${this.lastFirstSeq})`);
      this.lastFirstSeq = first;
    }
  }

  /**
   * Against the generator's record (per seq: 0 not text, 1 the owner's text, 2 the friend's): every
   * text message appeared, in its sender's role, and nothing else did.
   */
  finalCheck(textSeqs: Uint8Array): { missing: number; wrongRole: number; foreign: number } {
    let missing = 0;
    let wrongRole = 0;
    let foreign = 0;
    const firstPrompt = textSeqs.indexOf(2);
    for (let seq = 0; seq < Math.max(textSeqs.length, this.seen.length); ++seq) {
      const expected = seq < firstPrompt && textSeqs[seq] === 1 && !this.seen[seq] ? 0 : (textSeqs[seq] ?? 0);
      const got = this.seen[seq] ?? 0;
      if (expected === 0) {
        if (got !== 0 && ++foreign <= 5) this.error(`#${seq} is not a generated text message`);
      } else if (got === 0) {
        if (++missing <= 5) this.error(`#${seq} (${expected === 1 ? 'owner' : 'friend'}) appears in no example`);
      } else if (got !== expected) {
        if (++wrongRole <= 5) this.error(`#${seq} is the ${expected === 1 ? 'owner' : 'friend'}'s but appears as ${got === 1 ? 'assistant' : got === 2 ? 'user' : 'both'}`);
      }
    }
    return { missing, wrongRole, foreign };
  }
}

/** Collects a child's output into one Buffer (for small outputs). */
function collect(stream: NodeJS.ReadableStream | null | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    if (!stream) return resolve(Buffer.alloc(0));
    stream.on('data', (b: Buffer) => parts.push(b));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

function exitOf(child: ReturnType<typeof spawn>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
}

/** Peak RSS of a running process (Linux), sampled: VmHWM only grows. */
function watchPeakRss(pid: number): { stop(): number | null } {
  let peak: number | null = null;
  const sample = () => {
    try {
      const m = /VmHWM:\s*(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak ?? 0, Number(m[1]) * 1024);
    } catch {
      // gone, or not Linux
    }
  };
  const timer = setInterval(sample, 200);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

t.test(`CLI with a ${HEAP_MB} MB heap converts a ${formatSize(SIZE)} newest-first thread from stdin`, { timeout: 300_000 }, async (t) => {
  for (const f of [CLI, GENERATOR]) if (!existsSync(f)) return t.fail(`${f} is missing: run npm run build`);

  // the children run as a user's would: without tap's coverage collection (NODE_V8_COVERAGE, which
  // would halve their speed) and without the loaders tap puts in NODE_OPTIONS (heap of their own)
  const { NODE_V8_COVERAGE: _, NODE_OPTIONS: __, ...env } = process.env;
  const started = process.hrtime.bigint();
  const gen = spawn(
    process.execPath,
    [GENERATOR, '--size', String(SIZE), '--seed', '2024', '--owner', OWNER, '--tie-rate', '0.02', '--text-seqs-fd', '3'],
    { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env },
  );
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, CLI, '--me', OWNER, ...EXTRA_ARGS], { stdio: [gen.stdout!, 'pipe', 'pipe'], env });
  // the CLI has its own copy of the pipe: drop ours, so that the generator sees EPIPE if the CLI dies
  gen.stdout!.destroy();
  const rss = watchPeakRss(child.pid!);
  const checker = new OutputChecker();
  child.stdout!.on('data', (chunk: Buffer) => checker.write(chunk));
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    if (stderr.length < 64 * 1024) stderr += s;
  });
  const [genStderr, textSeqBytes, genExit, cliExit] = await Promise.all([
    collect(gen.stderr),
    collect(gen.stdio[3] as NodeJS.ReadableStream),
    exitOf(gen),
    exitOf(child),
  ]);
  const peak = rss.stop();
  checker.end();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  t.equal(cliExit.code, 0, 'exit code 0', { signal: cliExit.signal, stderr: stderr.slice(-4000) });
  // the generator's stats (its last stderr line) come only after it wrote the whole thread
  let stats: { bytes: number; messages: number; textMessages: number } | null = null;
  try {
    stats = JSON.parse(String(genStderr).trim().split('\n').at(-1)!) as typeof stats;
  } catch {
    // reported below
  }
  t.ok(genExit.code === 0 && stats !== null, 'the generator wrote the whole thread: the CLI read all of its stdin', {
    code: genExit.code, signal: genExit.signal, stderr: String(genStderr).slice(-2000),
  });
  stats ??= { bytes: 0, messages: 0, textMessages: 0 };
  t.comment(
    `${formatSize(stats.bytes)} in ${seconds.toFixed(1)} s (${(stats.bytes / 1e6 / seconds).toFixed(1)} MB/s), ` +
      `${stats.messages} messages (${stats.textMessages} text) -> ${checker.lines} examples, ${formatSize(checker.bytes)}; ` +
      `CLI peak RSS ${peak === null ? 'n/a' : `${(peak / 2 ** 20).toFixed(0)} MiB`}`,
  );
  t.ok(stats.bytes >= SIZE, `input >= ${formatSize(SIZE)} (${stats.bytes} bytes)`);
  t.equal(textSeqBytes.length, stats.messages, "the generator's record of text messages");
  t.ok(checker.lines > 0, 'some examples');

  const { missing, wrongRole, foreign } = checker.finalCheck(new Uint8Array(textSeqBytes.buffer, textSeqBytes.byteOffset, textSeqBytes.length));
  t.equal(missing, 0, 'complete: every text message is in some example');
  t.equal(foreign, 0, 'nothing but generated text messages');
  t.equal(wrongRole, 0, "the owner's messages are the assistant's, the friend's the user's");
  t.equal(checker.errorCount, 0, 'every line is {"messages":[...]}, chronological within and across examples', { errors: checker.errors });
});
