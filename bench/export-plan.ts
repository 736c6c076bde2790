/**
 * The whole-export benchmark's plan of an export (bench/export.ts): which threads, of what size,
 * in which section, for a seed. Shapes (`--shape`): `big` below; `real` is a real inbox's shape
 * (bench/real-shape.ts REAL_SHAPE: thousands of threads, median 76 messages, a Pareto tail, every
 * section, 15% groups) plus an E2EE download beside the root continuing each `e2ee_cutover` thread.
 * - Threads (big shape): four big ones in the inbox (20%, 12%, 8%, 5% of the bytes; the third a group chat),
 *   split as Meta splits them (10,000 messages per part, message_1 the newest), then hundreds
 *   of log-normally sized ones (a few KB to tens of MB) across the sections; ~15% of the inbox and
 *   archived threads are group chats (3-11 participants); message requests and filtered threads
 *   are small. The owner ("Ada Lovelace") is a participant of every thread.
 */
import { createRandom, DEFAULT_NEWEST_MS, DEFAULT_OWNER, type Random } from './generate.js';
import { planRealThreads, REAL_SHAPE } from './real-shape.js';

export const DEFAULT_EXPORT_SIZE = 2e9;
export const CHECK_EXPORT_SIZE = 20e6;
/** The real shape's default size: issue 18's inbox. */
export const REAL_EXPORT_SIZE = 300e6;

export type Section = 'inbox' | 'archived_threads' | 'filtered_threads' | 'message_requests' | 'e2ee_cutover';
export const SECTIONS: readonly Section[] = ['inbox', 'archived_threads', 'filtered_threads', 'message_requests', 'e2ee_cutover'];
/** The sections the CLI converts by default (lib/export/select.ts DEFAULT_SECTIONS, as far as generated here). */
export const CONVERTED_SECTIONS: readonly Section[] = ['inbox', 'archived_threads', 'e2ee_cutover'];

export interface ExportOptions {
  /** JSON bytes of all thread files (message_N.json), every section. */
  size: number;
  /** PRNG seed (an integer). Default 1. */
  seed?: number;
  /** The owner, a participant of every thread. Default "Ada Lovelace". */
  owner?: string;
  /** Media bytes written per JSON byte. Default 1. */
  mediaRatio?: number;
  /** Number of threads. Default from the size: 250 at 100 MB and below, ~+60 per doubling above. */
  threads?: number;
  /** Messages per part. Default 10,000 (Meta's). */
  perPart?: number;
  /**
   * `big` (default): a few big threads and hundreds of log-normal ones (below). `real`: thousands
   * of small threads and a heavy tail, as a real inbox (bench/real-shape.ts REAL_SHAPE), with an
   * E2EE download beside the export continuing every `e2ee_cutover` thread.
   */
  shape?: ExportShape;
}

export type ExportShape = 'big' | 'real';
export const SHAPES: readonly ExportShape[] = ['big', 'real'];

export interface ThreadSpec {
  section: Section;
  /** `<slug>_<id>`: the thread's folder, and its thread_path `section/folder`. */
  folder: string;
  /** The other participants (the owner not included); a group chat has two or more. */
  members: string[];
  /** A group chat's name (1:1 threads are titled by the other person). */
  title: string;
  /** Target JSON bytes, all parts. */
  size: number;
  seed: number;
  newestMs: number;
  /** An exact message count (the real shape), instead of steering to `size`. */
  messages?: number;
  /** The E2EE download's continuation of an `e2ee_cutover` thread: its file name (no `.json`) and messages. */
  e2ee?: { threadName: string; messages: number };
}

const FIRST = [
  'Zoë', 'Björn', 'Amélie', 'José', 'Chloé', 'Søren', 'Renée', 'Łukasz', 'Mia', 'Noah', 'Liam', 'Emma', 'Olivia', 'Ava',
  'Lucas', 'Mateo', 'Hannah', 'Yuki', 'Wei', 'Priya', 'Omar', 'Fatima', 'Ingrid', 'Kalle', 'Anaïs', 'Jürgen', 'Siobhán',
  'Dmitri', 'Agnieszka', 'Tomás', 'Grace', 'Henry', 'Isabel', 'Jack', 'Kai', 'Leila', 'Marco', 'Nora', 'Oscar', 'Paula',
  'Quinn', 'Rosa', 'Sam', 'Tariq', 'Uma', 'Viktor', 'Wanda', 'Xavier', 'Yara', 'Zain', 'Charles', 'Mary',
];
const LAST = [
  'Ångström', 'Müller', 'Dubois', 'García', 'Nakamura', 'Kowalski', 'Smith', 'Jones', "O'Brien", 'Silva', 'Rossi', 'Novák',
  'Jensen', 'Papadopoulos', 'Nguyen', 'Kim', 'Patel', 'Ivanova', 'Haddad', 'Fernández', 'Lindqvist', 'Østergaard', 'Çelik',
  'Byrne', 'Moreau', 'Babbage', 'Somerville', 'Hopper',
];
const GROUP_TITLES = [
  'Book club 📚', 'Family ❤️', 'Trip to Kraków', 'Flat 4B', 'Climbing crew', 'Café regulars', 'Uni friends',
  'Wedding planning 💍', 'Football Sundays ⚽', 'Board games', 'Hiking', 'Project Ω', 'Choir', 'Secret Santa 🎁', 'Neighbours',
];
/** Inbox, archived, e2ee_cutover, message requests, filtered: the small threads' sections. */
const SECTION_WEIGHTS: ReadonlyArray<[Section, number]> = [
  ['inbox', 0.68], ['archived_threads', 0.12], ['e2ee_cutover', 0.08], ['message_requests', 0.07], ['filtered_threads', 0.05],
];
export const BIG_SHARES = [0.2, 0.12, 0.08, 0.05];
const BIG_GROUP = 2;
const MIN_THREAD_BYTES = 1500;
const YEAR_MS = 365 * 24 * 3_600_000;

function slugOf(name: string): string {
  return name.normalize('NFD').replace(/[^A-Za-z0-9]/g, '').toLowerCase() || 'facebookuser';
}

export function digits(rand: Random, n: number): string {
  let s = String(1 + Math.floor(rand() * 9));
  while (s.length < n) s += String(Math.floor(rand() * 10));
  return s;
}

export function defaultThreadCount(size: number): number {
  return Math.round(250 + 60 * Math.log2(Math.max(1, size / 100e6)));
}

/** Every thread of the export, deterministic for the options. Big threads last. */
export function planExport(options: ExportOptions): ThreadSpec[] {
  const size = options.size;
  if (!(size >= 100e3)) throw new TypeError(`export size must be at least 100 KB, got ${size}`);
  const seed = options.seed ?? 1;
  const owner = options.owner ?? DEFAULT_OWNER;
  const n = options.threads ?? defaultThreadCount(size);
  if (options.shape !== 'real' && (!Number.isInteger(n) || n < BIG_SHARES.length + 1)) throw new TypeError(`threads must be an integer >= ${BIG_SHARES.length + 1}, got ${n}`);
  const r = createRandom(seed ^ 0x2c1b3c6d);
  const used = new Set<string>([owner]);
  const people: string[] = [];
  const person = (): string => {
    for (let tries = 0; ; ++tries) {
      let name = `${FIRST[Math.floor(r() * FIRST.length)]!} ${LAST[Math.floor(r() * LAST.length)]!}`;
      if (tries > 20) name += ` ${tries}`;
      if (!used.has(name)) {
        used.add(name);
        people.push(name);
        return name;
      }
    }
  };
  const titles = new Map<string, number>();
  const groupTitle = () => {
    const t = GROUP_TITLES[Math.floor(r() * GROUP_TITLES.length)]!;
    const k = (titles.get(t) ?? 0) + 1;
    titles.set(t, k);
    return k === 1 ? t : `${t} ${k}`;
  };
  const members = (count: number) => {
    const out = new Set<string>();
    while (out.size < count) out.add(people.length > 10 && r() < 0.7 ? people[Math.floor(r() * people.length)]! : person());
    return [...out];
  };
  const newest = (section: Section) => {
    // e2ee_cutover threads stop where the E2EE era began (Dec 2023); the others are spread over 3 years
    const end = section === 'e2ee_cutover' ? Date.UTC(2023, 11, 6) : DEFAULT_NEWEST_MS;
    return end - Math.floor(r() * (section === 'e2ee_cutover' ? 1 : 3) * YEAR_MS);
  };

  const specs: ThreadSpec[] = [];
  const add = (section: Section, group: boolean, bytes: number, deleted = false) => {
    const ms = group ? members(2 + Math.floor(r() * 9)) : [deleted ? 'Facebook user' : person()];
    const title = group ? groupTitle() : ms[0]!;
    specs.push({
      section, folder: `${slugOf(title)}_${digits(r, 16)}`, members: ms, title, size: bytes,
      seed: (Math.imul(seed, 0x9e3779b1) + specs.length * 7919 + 17) | 0, newestMs: newest(section),
    });
  };

  if (options.shape === 'real') {
    for (const t of planRealThreads(size, seed, options.threads)) {
      add(t.section, t.group, Math.round(t.messages * REAL_SHAPE.bytesPerMessage), false);
      const spec = specs.at(-1)!;
      spec.messages = t.messages;
      if (t.e2eeMessages > 0) spec.e2ee = { threadName: `${spec.title}_${1 + Math.floor(r() * 99)}`, messages: t.e2eeMessages };
    }
    return specs;
  }

  // the many: log-normal sizes (sigma 1.8), requests and filtered threads small
  const rest = n - BIG_SHARES.length;
  const weights: number[] = [];
  const sections: Section[] = [];
  for (let i = 0; i < rest; ++i) {
    let x = r();
    let section: Section = 'inbox';
    for (const [s, w] of SECTION_WEIGHTS) if ((x -= w) < 0) { section = s; break; }
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    let w = Math.exp(1.8 * z);
    if (section === 'message_requests' || section === 'filtered_threads') w = Math.min(w, 1) * 0.02;
    weights.push(w);
    sections.push(section);
  }
  const restBytes = size * (1 - BIG_SHARES.reduce((a, b) => a + b, 0));
  const sum = weights.reduce((a, b) => a + b, 0);
  let deletedLeft = 2;
  for (let i = 0; i < rest; ++i) {
    const section = sections[i]!;
    const bytes = Math.max(MIN_THREAD_BYTES, Math.round((restBytes * weights[i]!) / sum));
    const group = (section === 'inbox' || section === 'archived_threads') && r() < 0.15;
    const deleted = !group && section === 'inbox' && deletedLeft > 0 && r() < 0.02 && deletedLeft--;
    add(section, group, bytes, Boolean(deleted));
  }
  // the few big ones, last (they take up the media budget the small ones leave)
  BIG_SHARES.forEach((share, i) => add('inbox', i === BIG_GROUP, Math.round(size * share)));
  return specs;
}
