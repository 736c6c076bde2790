/**
 * The "real" export shape (bench/export-plan.ts plans an export of it): thousands of small threads,
 * a heavy tail, every section, E2EE halves. How many messages each thread has and where it goes;
 * the E2EE download's files. The threads' text comes from bench/generate.ts's ThreadGenerator.
 */
import { createRandom, digits, ThreadGenerator, DEFAULT_NEWEST_MS, MEAN_GAP_MS, REACTIONS, type GeneratedKind, type Random } from './generate.js';

/**
 * A real inbox (issue 18): 300 MB of JSON in 5,732 threads, median 76 messages, p90 337, max
 * 60,000; inbox 4,826, archived 319, e2ee_cutover 241, message_requests 225, filtered 121.
 *
 * Messages per thread: a log-normal body (mu = ln 76, sigma = ln(337/76) / z(0.9) = 1.162) up to
 * the p90, spliced with a Pareto tail above it, P(X > x) = 0.1 (x / 337)^-alpha. A log-normal alone
 * fitted to the median and p90 tops out near 5,000 messages in 5,732 threads, 12x short of the
 * real maximum; alpha = 1.36 puts the largest of 5,732 threads at 60,000. Counts are stratified
 * quantiles, thread i of n at Q((i + 0.5) / n), not random draws: every export has the quantiles
 * exactly and its size does not swing with a lucky tail draw; the seed shuffles which thread gets
 * which count, section and participants. A smaller export keeps the quantiles and loses the far
 * tail (400 threads: max ~8,500), as a smaller real inbox would.
 */
export const REAL_SHAPE = Object.freeze({
  median: 76,
  p90: 337,
  tailAlpha: 1.36,
  /** Share of the threads per section, from the real export's counts. */
  sections: Object.freeze({ inbox: 4826, archived_threads: 319, e2ee_cutover: 241, message_requests: 225, filtered_threads: 121 }),
  /** Share of inbox and archived threads that are group chats. */
  groupShare: 0.15,
  /** JSON bytes per message of ThreadGenerator's output (~296 measured over a real-shape export), and per thread file besides messages. */
  bytesPerMessage: 296,
  bytesPerThread: 340,
});

export type RealSection = keyof typeof REAL_SHAPE.sections;

/** The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function probit(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Messages in a thread at quantile p of the real shape (>= 1). */
export function realThreadMessages(p: number): number {
  const { median, p90, tailAlpha } = REAL_SHAPE;
  const x = p <= 0.9 ? median * Math.exp((Math.log(p90 / median) / probit(0.9)) * probit(p)) : p90 * Math.pow(0.1 / (1 - p), 1 / tailAlpha);
  return Math.max(1, Math.round(x));
}

/** The E2EE half of an `e2ee_cutover` thread has this share of its messages, on average. */
const E2EE_SHARE = 0.6;

export interface RealThread {
  section: RealSection;
  messages: number;
  group: boolean;
  /** For an `e2ee_cutover` thread: messages of its continuation in the E2EE download; else 0. */
  e2eeMessages: number;
}

function stratifiedCounts(n: number): number[] {
  return Array.from({ length: n }, (_, i) => realThreadMessages((i + 0.5) / n));
}

/** Thread count for a JSON size: the n whose stratified counts (and E2EE halves) fill `size`. */
export function realThreadCount(size: number): number {
  const { bytesPerMessage, bytesPerThread, sections } = REAL_SHAPE;
  const cutShare = sections.e2ee_cutover / Object.values(sections).reduce((x, y) => x + y, 0);
  let n = Math.max(5, Math.round(size / 60e3));
  for (let i = 0; i < 6; ++i) {
    const mean = stratifiedCounts(n).reduce((x, y) => x + y, 0) / n;
    const perThread = mean * (1 + cutShare * E2EE_SHARE) * bytesPerMessage + bytesPerThread * (1 + cutShare);
    const next = Math.max(5, Math.round(size / perThread));
    if (next === n) break;
    n = next;
  }
  return n;
}

function shuffle<T>(xs: T[], r: Random): T[] {
  for (let i = xs.length - 1; i > 0; --i) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/**
 * Every thread of a real-shaped export of about `size` JSON bytes (`threads` overrides the count):
 * messages, section, group or not, E2EE half. Deterministic for (size, threads, seed). Message
 * requests and filtered threads are drawn from the threads below the median (strangers write
 * little); `e2ee_cutover` threads are 1:1 (so that each pairs with exactly one E2EE file).
 */
export function planRealThreads(size: number, seed: number, threads?: number): RealThread[] {
  const n = threads ?? realThreadCount(size);
  if (!Number.isInteger(n) || n < 5) throw new TypeError(`Invalid option threads: must be an integer >= 5, got ${n}`);
  const r = createRandom(seed ^ 0x3d4d51cb);
  const counts = stratifiedCounts(n);
  const total = Object.values(REAL_SHAPE.sections).reduce((x, y) => x + y, 0);
  const share = (s: RealSection) => Math.max(1, Math.round((n * REAL_SHAPE.sections[s]) / total));
  const lower = shuffle(Array.from({ length: Math.floor(n / 2) }, (_, i) => i), r);
  const section: RealSection[] = new Array<RealSection>(n).fill('inbox');
  let k = 0;
  for (const s of ['message_requests', 'filtered_threads'] as const) for (let j = share(s); j > 0 && k < lower.length; --j) section[lower[k++]!] = s;
  const rest = shuffle(counts.map((_, i) => i).filter((i) => section[i] === 'inbox'), r);
  k = 0;
  for (const s of ['e2ee_cutover', 'archived_threads'] as const) for (let j = share(s); j > 0 && k < rest.length - 1; --j) section[rest[k++]!] = s;
  const out = counts.map((messages, i): RealThread => {
    const s = section[i]!;
    const group = (s === 'inbox' || s === 'archived_threads') && r() < REAL_SHAPE.groupShare;
    const e2eeMessages = s === 'e2ee_cutover' ? Math.max(1, Math.round(messages * (0.2 + 0.8 * r()))) : 0;
    return { section: s, messages, group, e2eeMessages };
  });
  return shuffle(out, r);
}

/** The E2EE download's epoch: its chats start the day after the last `e2ee_cutover` message. */
export const E2EE_START_MS = Date.UTC(2023, 11, 7);

export interface E2eeFileOptions {
  seed: number;
  messages: number;
  owner: string;
  /** The other participant (the E2EE half of a 1:1 `e2ee_cutover` thread). */
  friend: string;
  /** `threadName`: the file's name without `.json` (`<Display Name>_<N>`). */
  threadName: string;
}

/**
 * An E2EE download thread file (docs/formats.md#e2ee-download): clean UTF-8, oldest-first, the
 * ThreadGenerator's messages mapped to its schema, from {@link E2EE_START_MS} on.
 */
export function e2eeFileText(o: E2eeFileOptions): string {
  const kept: { sender: string; kind: GeneratedKind; content: string }[] = [];
  const g = new ThreadGenerator({
    seed: o.seed, messages: o.messages, owner: o.owner, friend: o.friend,
    onMessage: (m, info) => kept.push({ sender: m['sender_name'] as string, kind: info.kind, content: (m['content'] as string | undefined) ?? '' }),
  });
  while (!g.done) g.next();
  const r = createRandom(o.seed ^ 0x27d4eb2f);
  const span = Math.max(1, DEFAULT_NEWEST_MS - E2EE_START_MS);
  let ts = E2EE_START_MS;
  const messages = kept.reverse().map((m) => {
    ts += 1 + Math.floor(-Math.log(1 - r()) * Math.min(MEAN_GAP_MS, span / o.messages));
    const base = { senderName: m.sender, timestamp: ts };
    const media = m.kind === 'photo' || m.kind === 'video' || m.kind === 'gif' || m.kind === 'sticker';
    const type = m.kind === 'unsent' ? 'placeholder' : m.kind === 'share' ? 'link' : media ? 'media' : 'text';
    const reactions = r() < 0.08 ? [{ actor: m.sender === o.owner ? o.friend : o.owner, reaction: REACTIONS[Math.floor(r() * REACTIONS.length)]! }] : [];
    return {
      ...base, text: media || m.kind === 'unsent' ? '' : m.content, type, isUnsent: m.kind === 'unsent',
      media: media ? [{ uri: `./media/${digits(r, 15)}.jpeg` }] : [], reactions,
    };
  });
  return JSON.stringify({ participants: [o.owner, o.friend], threadName: o.threadName, messages }, null, 2);
}

