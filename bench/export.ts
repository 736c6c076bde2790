#!/usr/bin/env node
/**
 * The whole-export benchmark: a realistic, deterministic Messenger export tree (many threads of
 * very different sizes, group chats, multi-part threads, media), packed into zip parts as Meta
 * ships it, and the CLI converting it from the folder and from the zips, with --jobs 1 and 2.
 *
 *   node dist/bench/export.js [--shape big,real] [--export-size 300MB,2GB] [--zip-parts 2] [--media-ratio 1]
 *        [--export-jobs 1,2] [--export-threads N] [--export-dir DIR] [--idle-wait 60]
 *        [--runs N] [--dir DIR] [--keep] [--seed N] [--baseline CHECKOUT]
 *   node dist/bench/export.js --generate DIR [--shape real] [--export-size 200MB] [--zip-parts 2] ...   (tree + zips only)
 *   npm run bench -- --export [...]       (after the single-file benchmark; --export-only: alone)
 *
 * The tree (bench/generate.ts's ThreadGenerator drives every thread; nothing here changes it):
 *   <root>/your_facebook_activity/messages/{inbox,archived_threads,filtered_threads,message_requests,
 *          e2ee_cutover}/<slug>_<id>/message_N.json   (+ photos/*.jpg, videos/*.mp4)
 *   <root>/your_facebook_activity/messages/autofill_information.json, stickers_used/*.png,
 *   <root>/personal_information/profile_information/profile_information.json
 * - `--export-size` is the JSON bytes of the thread files (message_N.json, every section): the
 *   size that matters to the CLI. Media come on top (`--media-ratio` bytes per JSON byte, default
 *   1): photos and videos the JSON references (URIs rewritten to where the files are), random
 *   bytes, stored in the zips, never read by the CLI but listed, indexed and skipped.
 * - Shapes (`--shape`, default both, measured in one run; without `--export-size`, big at 2 GB and
 *   real at 300 MB): `big` is the tree below; `real` is a real inbox's shape (bench/generate.ts
 *   REAL_SHAPE: thousands of threads, median 76 messages, a Pareto tail, every section, 15% groups)
 *   plus an E2EE download beside the root (`e2ee-download/messages/<Name>_<N>.json`, and its own zip)
 *   continuing each `e2ee_cutover` thread, as users give both to the CLI.
 * - Threads (big shape): four big ones in the inbox (20%, 12%, 8%, 5% of the bytes; the third a group chat),
 *   split as Meta splits them (10,000 messages per part, message_1 the newest), then hundreds
 *   of log-normally sized ones (a few KB to tens of MB) across the sections; ~15% of the inbox and
 *   archived threads are group chats (3-11 participants); message requests and filtered threads
 *   are small. The owner ("Ada Lovelace") is a participant of every thread.
 * - Zip parts: the files in path order, cut into `--zip-parts` parts of about equal zip size (so
 *   a thread's files, even its message_N parts, may straddle two zips, as in Meta's downloads);
 *   JSON deflated, media stored.
 *
 * Measurements, each in its own child process with peak RSS from bench/rss-preload.ts (with worker
 * threads, maxRSS covers the whole process: main thread and workers): the CLI on the folder and on
 * the zip parts, for each --jobs, stdout to /dev/null; plus the largest thread alone (its folder,
 * --jobs 1), the floor of any parallel run's wall time since a thread is converted by one worker.
 * MB/s is the JSON bytes of the threads converted (the CLI's default sections: inbox, archived,
 * e2ee_cutover; filtered threads and message requests are indexed but left out) over the wall
 * time of the whole process (start-up, export index and owner detection included).
 *
 * `inspect` of the folder and of the zips is measured too (MB/s over the JSON of every section).
 * Two more rows bound what parallelism can give: the fixed cost (start-up, listing, index, owner
 * detection: the folder with `--thread <one tiny thread>`) and the start-up alone (`--version`).
 *
 * Shared machines: with `--runs N` every variant runs once per round, N rounds (a ratio of two
 * variants measured minutes apart carries the machine's drift, ±10% here). Before each timed run
 * the benchmark reads the run's input files once (the page cache of this machine is reclaimed in
 * the background), waits (up to `--idle-wait` seconds, default 60) for a quiet second (under a
 * third of a core busy), and reports for each run the CPU time the rest of the machine used
 * meanwhile (/proc/stat): a run next to a busy neighbour is not a measurement of scaling.
 * `--export-dir DIR` generates into `DIR/<shape>-<size>` and keeps it (a later run with the same
 * options reuses it, see the manifest there). `--baseline CHECKOUT` also runs every variant from
 * that checkout's build, just before this one's, in the same round (before/after in one run).
 *
 * Before timing, on a small export of the same generator, the four variants must give the same
 * output (SHA-256 and line count of stdout, and the summary's example count), find the owner, and
 * select the expected threads, for each shape. Issue 18's targets, printed beside each row (reported,
 * not asserted): --jobs 1 >= 80 MB/s; --jobs 2 >= 1.6x --jobs 1; zips within 15% of the folder;
 * peak RSS < 200 MB; inspect >= 300 MB/s with peak RSS < 150 MB. `--export-dir DIR` keeps each
 * export in `DIR/<shape>-<size>` and reuses it.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yazl from 'yazl';
import { createRandom, e2eeFileText, formatSize, metaString, parseSize, planRealThreads, realThreadCount, REAL_SHAPE, ThreadGenerator, DEFAULT_NEWEST_MS, DEFAULT_OWNER, DEFAULT_PER_PART, type Random } from './generate.js';
import { benchWorkspace } from './workspace.js';
import { ChildError, MARK, runChild, usageOf } from './child.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const PRELOAD_JS = join(HERE, 'rss-preload.js');
const CLI_JS = fileURLToPath(new URL('../cli/fbstream.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The line bench/rss-preload.ts writes to stderr. */
const MANIFEST = 'fbstream-bench-export.json';

export const DEFAULT_EXPORT_SIZE = 2e9;
export const CHECK_EXPORT_SIZE = 20e6;
/** The real shape's default size: issue 18's inbox. */
export const REAL_EXPORT_SIZE = 300e6;
// issue 18's targets, printed beside the figures
const TARGET_JOBS1_MBPS = 80;
const TARGET_RSS = 200e6;
const TARGET_SCALING = 1.6;
const TARGET_ZIP = 1.15;
const TARGET_INSPECT_MBPS = 300;
const TARGET_INSPECT_RSS = 150e6;

// ---------------------------------------------------------------------------------------------
// The export's plan

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
   * of small threads and a heavy tail, as a real inbox (bench/generate.ts REAL_SHAPE), with an
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
const BIG_SHARES = [0.2, 0.12, 0.08, 0.05];
const BIG_GROUP = 2;
const MIN_THREAD_BYTES = 1500;
const YEAR_MS = 365 * 24 * 3_600_000;

function slugOf(name: string): string {
  return name.normalize('NFD').replace(/[^A-Za-z0-9]/g, '').toLowerCase() || 'facebookuser';
}

function digits(rand: Random, n: number): string {
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

// ---------------------------------------------------------------------------------------------
// Writing the tree

export interface ExportStats {
  /** The export's root folder (the one holding your_facebook_activity). */
  root: string;
  /** The real shape's E2EE download beside it (`<e2eeRoot>/messages/<Name>_<N>.json`), its files and JSON bytes. */
  e2eeRoot?: string;
  e2eeFiles?: number;
  e2eeBytes?: number;
  threads: number;
  groupThreads: number;
  multiPartThreads: number;
  /** message_N.json files. */
  parts: number;
  messages: number;
  /** Bytes of every message_N.json. */
  jsonBytes: number;
  /** Threads and bytes in the sections the CLI converts by default. */
  convertedThreads: number;
  convertedJsonBytes: number;
  /** Other JSON (autofill, profile): not thread files. */
  otherJsonBytes: number;
  mediaFiles: number;
  mediaBytes: number;
  sections: Record<string, { threads: number; bytes: number }>;
  /** The largest threads, largest first: key (`inbox/<folder>`), folder path, bytes, parts. */
  largest: { key: string; dir: string; bytes: number; parts: number; group: boolean }[];
  /** The smallest thread the CLI converts by default. */
  smallest: { key: string; dir: string; bytes: number; parts: number; group: boolean };
  seconds: number;
}

const POOL_BYTES = 8 << 20;
const WRITE_BUFFER = 1 << 20;

/** Media files: random bytes (from one pool), written while the budget lasts. */
class MediaWriter {
  budget = 0;
  files = 0;
  bytes = 0;
  private readonly pool: Buffer;
  private readonly rand: Random;

  constructor(seed: number) {
    this.rand = createRandom(seed ^ 0x1b873593);
    const words = new Uint32Array(POOL_BYTES / 4);
    for (let i = 0; i < words.length; ++i) words[i] = Math.floor(this.rand() * 4294967296);
    this.pool = Buffer.from(words.buffer);
  }

  /** Write `path` (a photo or a video) if the budget is not spent. */
  write(path: string, video: boolean): void {
    if (this.budget <= 0) return;
    const r = this.rand;
    // photos 30-400 KB, videos 1-8 MB, log-uniform
    const [lo, hi] = video ? [1e6, 8e6] : [30e3, 400e3];
    const size = Math.round(lo * Math.exp(r() * Math.log(hi / lo)));
    if (video && size > this.budget) return; // a video only when the budget has room for it (they are lumpy)
    const head = video
      ? Buffer.from('000000206674797069736f6d0000020069736f6d69736f32617663316d703431', 'hex')
      : Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex');
    mkdirSync(resolve(path, '..'), { recursive: true });
    const fd = openSync(path, 'w');
    try {
      writeAll(fd, head);
      let left = size - head.length;
      while (left > 0) {
        const off = Math.floor(r() * (POOL_BYTES - 65536));
        const n = Math.min(left, POOL_BYTES - off, 1 << 20);
        writeAll(fd, this.pool.subarray(off, off + n));
        left -= n;
      }
    } finally {
      closeSync(fd);
    }
    this.budget -= size;
    this.bytes += size;
    ++this.files;
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}

/** A file written through a 1 MiB buffer of latin1 (the generator's output is ASCII). */
class PartFile {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(WRITE_BUFFER);
  private off = 0;
  bytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  put(s: string): void {
    if (this.off + s.length > this.buf.length) {
      this.flush();
      if (s.length > this.buf.length) this.buf = Buffer.allocUnsafe(s.length);
    }
    this.off += this.buf.write(s, this.off, 'latin1');
    this.bytes += s.length;
  }

  flush(): void {
    writeAll(this.fd, this.buf.subarray(0, this.off));
    this.off = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

const MEDIA_URI = /"uri": "([^"]*\/(photos|videos)\/[^"]+)"/g;

/** Write one thread's parts (and the media it references, within the budget). */
function writeThread(root: string, spec: ThreadSpec, owner: string, perPart: number, media: MediaWriter): { bytes: number; parts: number; messages: number } {
  const rel = `your_facebook_activity/messages/${spec.section}/${spec.folder}`;
  const dir = join(root, rel);
  mkdirSync(dir, { recursive: true });
  const friend = spec.members[0]!;
  const group = spec.members.length > 1;
  const threadPath = `${spec.section}/${spec.folder}`;
  const length = spec.messages !== undefined ? { messages: spec.messages } : { size: spec.size };
  const g = new ThreadGenerator({ seed: spec.seed, ...length, owner, friend, newestMs: spec.newestMs, threadPath });
  let header = g.header();
  let footer = g.footer();
  const friendJson = metaString(friend).slice(1, -1);
  const friendLine = `    {\n      "sender_name": "${friendJson}",`;
  const memberJson = spec.members.map((m) => metaString(m).slice(1, -1));
  const r = createRandom(spec.seed ^ 0x68e31da4);
  let speaker = 0;
  if (group) {
    // participants: the members and the owner, as Meta lists them; a group's title and joinable_mode
    const names = [...spec.members, owner];
    header = '{\n  "participants": [\n' + names.map((m) => `    {\n      "name": ${metaString(m)}\n    }`).join(',\n') + '\n  ],\n  "messages": [';
    footer =
      `,\n  "title": ${metaString(spec.title)},\n  "is_still_participant": true,\n  "thread_path": ${metaString(threadPath)},\n` +
      '  "magic_words": [\n\n  ],\n  "joinable_mode": {\n    "mode": 1,\n    "link": ""\n  }\n}';
  }
  const uriFrom = /"uri": "messages\/inbox\/[^/"]+\//g;
  const uriTo = `"uri": "${rel}/`;
  let part = 0;
  let bytes = 0;
  while (part === 0 || !g.done) {
    ++part;
    const f = new PartFile(join(dir, `message_${part}.json`));
    f.put(header);
    let k = 0;
    for (; k < perPart && !g.done; ++k) {
      let m = g.next();
      if (group && m.startsWith(friendLine)) {
        // the friend's messages spread over the members: a run mostly keeps its speaker
        if (r() < 0.35) speaker = Math.floor(r() * r() * spec.members.length);
        if (speaker !== 0) m = m.replaceAll(`"${friendJson}`, `"${memberJson[speaker]!}`);
      }
      if (m.includes('"uri": "messages/inbox/')) {
        m = m.replace(uriFrom, uriTo);
        if (media.budget > 0) for (const u of m.matchAll(MEDIA_URI)) media.write(join(root, u[1]!), u[2] === 'videos');
      }
      f.put(k === 0 ? '\n' : ',\n');
      f.put(m);
    }
    f.put(g.closing(k === 0));
    f.put(footer);
    f.close();
    bytes += f.bytes;
  }
  return { bytes, parts: part, messages: g.stats.messages };
}

/** Not thread files: what else a Facebook export's messages folder and root hold (a little of it). */
function writeOtherFiles(root: string, owner: string, r: Random): { json: number; media: number } {
  const put = (rel: string, data: string | Buffer) => {
    const path = join(root, rel);
    mkdirSync(resolve(path, '..'), { recursive: true });
    writeFileSync(path, data);
    return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  };
  let json = 0;
  let media = 0;
  json += put('your_facebook_activity/messages/autofill_information.json', `{\n  "autofill_information_v2": {\n    "FULL_NAME": [\n      ${metaString(owner)}\n    ],\n    "EMAIL": [\n      "ada@example.com"\n    ]\n  }\n}`);
  json += put('personal_information/profile_information/profile_information.json', `{\n  "profile_v2": {\n    "name": {\n      "full_name": ${metaString(owner)},\n      "first_name": "Ada",\n      "middle_name": "",\n      "last_name": "Lovelace"\n    },\n    "registration_timestamp": 1199145600\n  }\n}`);
  for (let i = 0; i < 6; ++i) {
    const png = Buffer.alloc(2000 + Math.floor(r() * 6000));
    for (let j = 0; j < png.length; ++j) png[j] = Math.floor(r() * 256);
    Buffer.from('89504e470d0a1a0a', 'hex').copy(png);
    media += put(`your_facebook_activity/messages/stickers_used/${digits(r, 9)}_${digits(r, 15)}_n.png`, png);
  }
  return { json, media };
}

/** Write the export tree into `root` (created). */
export function writeExport(root: string, options: ExportOptions): ExportStats {
  const t0 = process.hrtime.bigint();
  const owner = options.owner ?? DEFAULT_OWNER;
  const perPart = options.perPart ?? DEFAULT_PER_PART;
  const ratio = options.mediaRatio ?? 1;
  const specs = planExport(options);
  mkdirSync(root, { recursive: true });
  const media = new MediaWriter(options.seed ?? 1);
  const stats: ExportStats = {
    root, threads: 0, groupThreads: 0, multiPartThreads: 0, parts: 0, messages: 0, jsonBytes: 0, convertedThreads: 0, convertedJsonBytes: 0,
    otherJsonBytes: 0, mediaFiles: 0, mediaBytes: 0, sections: {}, largest: [], smallest: { key: '', dir: '', bytes: Infinity, parts: 0, group: false }, seconds: 0,
  };
  const all: ExportStats['largest'] = [];
  for (const spec of specs) {
    media.budget += spec.size * ratio;
    const t = writeThread(root, spec, owner, perPart, media);
    ++stats.threads;
    if (spec.members.length > 1) ++stats.groupThreads;
    if (t.parts > 1) ++stats.multiPartThreads;
    stats.parts += t.parts;
    stats.messages += t.messages;
    stats.jsonBytes += t.bytes;
    if (CONVERTED_SECTIONS.includes(spec.section)) {
      ++stats.convertedThreads;
      stats.convertedJsonBytes += t.bytes;
    }
    const s = (stats.sections[spec.section] ??= { threads: 0, bytes: 0 });
    ++s.threads;
    s.bytes += t.bytes;
    const info = { key: `${spec.section}/${spec.folder}`, dir: join(root, 'your_facebook_activity/messages', spec.section, spec.folder), bytes: t.bytes, parts: t.parts, group: spec.members.length > 1 };
    all.push(info);
    if (CONVERTED_SECTIONS.includes(spec.section) && t.bytes < stats.smallest.bytes) stats.smallest = info;
    if (spec.e2ee) {
      // the E2EE half: converted with its cutover thread, as one (lib/export/e2ee-join.ts)
      stats.e2eeRoot ??= join(dirname(root), 'e2ee-download');
      const text = e2eeFileText({ seed: spec.seed ^ 0x165667b1, messages: spec.e2ee.messages, owner, friend: spec.members[0]!, threadName: spec.e2ee.threadName });
      mkdirSync(join(stats.e2eeRoot, 'messages'), { recursive: true });
      writeFileSync(join(stats.e2eeRoot, 'messages', `${spec.e2ee.threadName}.json`), text);
      const bytes = Buffer.byteLength(text);
      stats.e2eeFiles = (stats.e2eeFiles ?? 0) + 1;
      stats.e2eeBytes = (stats.e2eeBytes ?? 0) + bytes;
      stats.jsonBytes += bytes;
      stats.convertedJsonBytes += bytes;
      stats.messages += spec.e2ee.messages;
    }
  }
  // what the threads did not take of the media budget: more photos in the largest thread's folder
  const r = createRandom((options.seed ?? 1) ^ 0x7f4a7c15);
  const biggest = [...all].sort((a, b) => b.bytes - a.bytes)[0]!;
  while (media.budget > 200e3) media.write(join(biggest.dir, 'photos', `${digits(r, 9)}_${digits(r, 15)}_${digits(r, 19)}_n_${digits(r, 15)}.jpg`), false);
  const other = writeOtherFiles(root, owner, r);
  stats.otherJsonBytes = other.json;
  stats.mediaFiles = media.files + 6;
  stats.mediaBytes = media.bytes + other.media;
  stats.largest = all.sort((a, b) => b.bytes - a.bytes).slice(0, 5);
  stats.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return stats;
}

// ---------------------------------------------------------------------------------------------
// Zip parts

export interface ZipStats {
  paths: string[];
  bytes: number[];
  entries: number[];
  /** Threads whose message_N parts are in more than one zip. */
  splitThreads: number;
  seconds: number;
}

function listFiles(root: string): { rel: string; size: number }[] {
  const out: { rel: string; size: number }[] = [];
  const visit = (dir: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = join(dir, d.name);
      if (d.isDirectory()) visit(full);
      else if (d.isFile() && d.name !== MANIFEST) out.push({ rel: relative(root, full).split(sep).join('/'), size: statSync(full).size });
    }
  };
  visit(root);
  return out;
}

/**
 * Pack the tree at `root` into `parts` zips in `outDir` (`<name>-1.zip`, …): the files in path
 * order, cut where each part's estimated zip size (JSON at ~1/8, media as is) reaches its share.
 * JSON deflated (yazl's default level), everything else stored. The parts are written at once.
 */
export async function packExport(root: string, outDir: string, parts: number, name = 'facebook-adalovelace-2024-06-01'): Promise<ZipStats> {
  const t0 = process.hrtime.bigint();
  if (!Number.isInteger(parts) || parts < 1) throw new TypeError(`zip parts must be an integer >= 1, got ${parts}`);
  mkdirSync(outDir, { recursive: true });
  const files = listFiles(root);
  const isJson = (rel: string) => rel.endsWith('.json');
  const cost = (f: { rel: string; size: number }) => (isJson(f.rel) ? f.size / 8 : f.size);
  const total = files.reduce((a, f) => a + cost(f), 0);
  const groups: { rel: string; size: number }[][] = Array.from({ length: parts }, () => []);
  let acc = 0;
  for (const f of files) {
    const i = Math.min(parts - 1, Math.floor((acc / total) * parts));
    groups[i]!.push(f);
    acc += cost(f);
  }
  const mtime = new Date(DEFAULT_NEWEST_MS);
  const paths = groups.map((_, i) => join(outDir, parts === 1 ? `${name}.zip` : `${name}-${i + 1}.zip`));
  await Promise.all(groups.map(async (group, i) => {
    const zip = new yazl.ZipFile();
    for (const f of group) zip.addFile(join(root, f.rel), f.rel, { compress: isJson(f.rel), mtime });
    zip.end();
    const out = createWriteStream(paths[i]!);
    zip.outputStream.pipe(out);
    await finished(out);
  }));
  // threads whose parts straddle zips
  const where = new Map<string, Set<number>>();
  groups.forEach((group, i) => {
    for (const f of group) {
      const m = /^(.*)\/message_\d+\.json$/.exec(f.rel);
      if (!m) continue;
      let s = where.get(m[1]!);
      if (!s) where.set(m[1]!, (s = new Set()));
      s.add(i);
    }
  });
  return {
    paths,
    bytes: paths.map((p) => statSync(p).size),
    entries: groups.map((g) => g.length),
    splitThreads: [...where.values()].filter((s) => s.size > 1).length,
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
  };
}

// ---------------------------------------------------------------------------------------------
// Generated once, reused: a folder with the tree, the zips, and a manifest

interface Manifest {
  /** `shape` only when not `big`: the big shape's manifests stay as they were, and are reused. */
  options: Required<Omit<ExportOptions, 'threads' | 'shape'>> & { threads: number; zipParts: number; shape?: ExportShape };
  tree: ExportStats;
  zips: ZipStats;
}

/** The tree and the zips in `dir` (`dir/<root>/…`, `dir/zips/…`): reused when its manifest matches. */
export async function prepareExport(dir: string, options: ExportOptions, zipParts: number, log: (s: string) => void = () => {}): Promise<Manifest> {
  const want: Manifest['options'] = {
    size: options.size, seed: options.seed ?? 1, owner: options.owner ?? DEFAULT_OWNER, mediaRatio: options.mediaRatio ?? 1,
    threads: options.threads ?? (options.shape === 'real' ? realThreadCount(options.size) : defaultThreadCount(options.size)),
    perPart: options.perPart ?? DEFAULT_PER_PART, zipParts, ...(options.shape === 'real' && { shape: options.shape }),
  };
  const manifestPath = join(dir, MANIFEST);
  if (existsSync(manifestPath)) {
    try {
      const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
      if (JSON.stringify(m.options) === JSON.stringify(want) && m.zips.paths.every((p) => existsSync(p))) {
        log(`reusing the export in ${dir}\n`);
        return m;
      }
    } catch {
      // regenerate
    }
  }
  rmSync(join(dir, 'tree'), { recursive: true, force: true });
  rmSync(join(dir, 'zips'), { recursive: true, force: true });
  const root = join(dir, 'tree', 'facebook-adalovelace-2024-06-01');
  log(`generating a ${formatSize(want.size)} export, shape ${want.shape ?? 'big'} (${want.threads} threads, media x${want.mediaRatio})...`);
  const tree = writeExport(root, want);
  log(` ${tree.threads} threads, ${tree.parts} parts, ${formatSize(tree.jsonBytes)} JSON + ${formatSize(tree.mediaBytes)} media in ${tree.seconds.toFixed(1)} s\n`);
  log(`packing into ${zipParts} zip part${zipParts === 1 ? '' : 's'}...`);
  const zips = await packExport(root, join(dir, 'zips'), zipParts);
  if (tree.e2eeRoot) {
    // the E2EE download is a zip of its own, given beside the export's parts
    const e = await packExport(tree.e2eeRoot, join(dir, 'zips'), 1, 'messages-e2ee-adalovelace');
    zips.paths.push(...e.paths);
    zips.bytes.push(...e.bytes);
    zips.entries.push(...e.entries);
    zips.seconds += e.seconds;
  }
  log(` ${zips.bytes.map(formatSize).join(' + ')} in ${zips.seconds.toFixed(1)} s\n`);
  const m: Manifest = { options: want, tree, zips };
  writeFileSync(manifestPath, JSON.stringify(m, null, 2));
  return m;
}

// ---------------------------------------------------------------------------------------------
// Children

interface CliRun {
  seconds: number;
  maxRssBytes: number | null;
  cpuSeconds: number | null;
  /** CPU time used by other processes of the machine during the run (/proc/stat busy time minus the child's). */
  otherCpuSeconds: number | null;
  examples: number | null;
  threads: number | null;
  /** `N of M threads, as NAME …`. */
  selectedLine: string;
  owner: string | null;
  stdoutLines?: number;
  stdoutSha256?: string;
  notes: string[];
}

/** CPU seconds the whole machine has been busy (all cores), from /proc/stat; null where there is none. */
function machineBusySeconds(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal; USER_HZ is 100 on Linux
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0)) / 100;
  } catch {
    return null;
  }
}

/**
 * Wait (up to `maxSeconds`) until the machine is quiet: less than a third of a core busy over one
 * second. Returns the seconds waited, or -1 when it never got quiet. Other processes sharing the
 * cores would make a two-worker run look like it does not scale.
 */
async function waitForQuiet(maxSeconds: number): Promise<number> {
  if (maxSeconds <= 0 || machineBusySeconds() === null) return 0;
  const t0 = Date.now();
  for (;;) {
    const a = machineBusySeconds()!;
    await new Promise((r) => setTimeout(r, 1000));
    const b = machineBusySeconds()!;
    if (b - a < 0.33) return (Date.now() - t0) / 1000;
    if ((Date.now() - t0) / 1000 >= maxSeconds) return -1;
  }
}

interface Variant {
  name: string;
  /** The CLI run: this checkout's, or the baseline's. */
  cli: string;
  /** CLI arguments before `--jobs`: inputs, and options for the variants that need some (`inspect` first for inspect). */
  inputs: string[];
  /** `--jobs`; null: not given (inspect). */
  jobs: number | null;
  /** JSON bytes converted, MB (for MB/s), or null. */
  bytes: number | null;
}

/**
 * Read what a run will read (files given, the `.json` files below folders) once, and return the
 * seconds it took. This machine's page cache is reclaimed in the background: a run that reads
 * its input from disk is not comparable with one that finds it in memory.
 */
function warmPageCache(args: readonly string[]): number {
  const t0 = performance.now();
  const buffer = Buffer.allocUnsafe(1 << 20);
  const read = (file: string) => {
    const fd = openSync(file, 'r');
    try {
      while (readSync(fd, buffer, 0, buffer.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  };
  const visit = (path: string) => {
    const info = statSync(path, { throwIfNoEntry: false });
    if (info?.isFile()) read(path);
    else if (info?.isDirectory()) {
      for (const d of readdirSync(path, { withFileTypes: true })) {
        if (d.isDirectory()) visit(join(path, d.name));
        else if (d.isFile() && /\.json$/i.test(d.name)) read(join(path, d.name));
      }
    }
  };
  // options and their values are not paths (a name given to --me or --thread is not found)
  for (const a of args) if (!a.startsWith('-')) visit(a);
  return (performance.now() - t0) / 1000;
}

async function runCli(inputs: string[], jobs: number | null, capture: boolean, extra: string[] = [], cli = CLI_JS): Promise<CliRun> {
  const busy0 = machineBusySeconds();
  const jobArgs = jobs === null ? [] : ['--jobs', String(jobs)];
  const o = await runChild(process.execPath, ['--import', PRELOAD_JS, cli, ...inputs, ...jobArgs, ...extra], capture ? 'capture' : 'null');
  const busy1 = machineBusySeconds();
  const text = o.stderr.split('\n').filter((l) => l.trim() && !l.startsWith(MARK)).map((l) => l.replace(/^fbstream: /, ''));
  if (o.code !== 0) throw new ChildError(`exit ${o.signal ?? o.code}${text.length ? `: ${text.slice(-3).join(' | ').slice(0, 400)}` : ''}`);
  const usage = usageOf(o.stderr);
  const summary = /(\d+) examples? from (\d+) threads?/.exec(o.stderr);
  const selectedLine = text.find((l) => /^\d+ of \d+ threads, as /.test(l)) ?? '';
  const owner = /, as (.*?)(?: \(the export owner|$)/.exec(selectedLine)?.[1] ?? null;
  return {
    seconds: o.seconds,
    maxRssBytes: usage?.maxRssBytes ?? null,
    cpuSeconds: usage?.cpuSeconds ?? null,
    otherCpuSeconds: busy0 !== null && busy1 !== null && usage ? Math.max(0, busy1 - busy0 - usage.cpuSeconds) : null,
    examples: summary ? Number(summary[1]) : null,
    threads: summary ? Number(summary[2]) : null,
    selectedLine,
    owner,
    ...(capture && { stdoutLines: o.lines, stdoutSha256: o.sha256 }),
    notes: text.filter((l) => /^(error|skipped|not read|left out)/.test(l)),
  };
}

// ---------------------------------------------------------------------------------------------
// The benchmark

export interface ExportBenchArgs {
  sizes: number[];
  runs: number;
  dir: string;
  keep: boolean;
  seed: number;
  zipParts: number;
  mediaRatio: number;
  jobs: number[];
  threads?: number;
  /** Generate into (and reuse) `<exportDir>/<shape>-<size>` instead of a temporary folder; never removed. */
  exportDir?: string;
  /** Export shapes measured, in one run (bench/generate.ts REAL_SHAPE for `real`). */
  shapes: ExportShape[];
  /** Before each timed run, wait up to this many seconds for the machine to be quiet (0: do not wait). */
  idleWait: number;
  /**
   * Another checkout, built (its dist/cli/fbstream.js): every variant is also run from it, just
   * before this one in each round, as "<variant> [baseline]" (before/after figures from one run).
   */
  baseline?: string;
}

export function defaultExportArgs(): ExportBenchArgs {
  return { sizes: [], runs: 1, dir: os.tmpdir(), keep: false, seed: 1, zipParts: 2, mediaRatio: 1, jobs: [1, 2], idleWait: 60, shapes: [...SHAPES] };
}

/**
 * Apply one export-benchmark flag to `a`; false when `flag` is not one. `value()` takes the flag's
 * value. Shared by this file's command line and bench/run.ts.
 */
export function exportFlag(a: ExportBenchArgs, flag: string, value: () => string): boolean {
  const int = (v: string, min: number) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new TypeError(`${flag} must be an integer >= ${min}, got ${v}`);
    return x;
  };
  switch (flag) {
    case '--export-size':
    case '--export-sizes':
      for (const s of value().split(/[,\s]+/).filter(Boolean)) a.sizes.push(parseSize(s));
      return true;
    case '--zip-parts': a.zipParts = int(value(), 1); return true;
    case '--media-ratio': {
      const v = value();
      a.mediaRatio = Number(v);
      if (!(a.mediaRatio >= 0)) throw new TypeError(`${flag} must be a number >= 0, got ${v}`);
      return true;
    }
    case '--export-jobs': a.jobs = value().split(/[,\s]+/).filter(Boolean).map((v) => int(v, 1)); return true;
    case '--export-threads': a.threads = int(value(), BIG_SHARES.length + 1); return true;
    case '--export-dir': a.exportDir = value(); return true;
    case '--baseline': a.baseline = value(); return true;
    case '--idle-wait': a.idleWait = int(value(), 0); return true;
    case '--shape':
    case '--shapes': {
      const v = value();
      const shapes = v.split(/[,\s]+/).filter(Boolean);
      const bad = shapes.find((x) => !(SHAPES as readonly string[]).includes(x));
      if (bad !== undefined || shapes.length === 0) throw new TypeError(`${flag} must be a list of ${SHAPES.join(', ')}, got ${v}`);
      a.shapes = [...new Set(shapes)] as ExportShape[];
      return true;
    }
    default: return false;
  }
}

export const EXPORT_USAGE =
  '[--shape big,real] [--export-size 300MB,2GB] [--zip-parts 2] [--media-ratio 1] [--export-jobs 1,2] [--export-threads N] [--export-dir DIR] [--idle-wait 60] [--baseline CHECKOUT]';

function commitOf(dir: string): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${commit} (+ uncommitted changes)` : commit;
  } catch {
    return 'n/a'; // not a git checkout
  }
}

function machineFacts(baseline: string | undefined): string[] {
  const cpus = os.cpus();
  const commit = commitOf(ROOT);
  return [
    `date: ${new Date().toISOString()}`,
    `cpu: ${cpus[0]?.model ?? 'unknown'}, ${os.availableParallelism()} cores`,
    `memory: ${formatSize(os.totalmem())}, load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    `node: ${process.version} (${process.platform} ${process.arch}), fbstream commit ${commit}`,
    ...(baseline ? [`baseline: ${baseline}, commit ${commitOf(baseline)} (its rows: "[baseline]", each run just before this commit's)`] : []),
  ];
}

function printTable(head: string[], rows: string[][], right: boolean[]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (right[i] ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${w.map((n, i) => (right[i] ? `${'-'.repeat(n + 1)}:` : '-'.repeat(n + 2))).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The CLI's inputs for an export: its root folder, and the E2EE download beside it (real shape). */
function folderInputs(t: ExportStats): string[] {
  return t.e2eeRoot ? [t.root, t.e2eeRoot] : [t.root];
}

/** The sizes measured for a shape: those given, else 2 GB (big) or 300 MB (real, as issue 18's inbox). */
function sizesFor(args: ExportBenchArgs, shape: ExportShape): number[] {
  return args.sizes.length ? args.sizes : [shape === 'real' ? REAL_EXPORT_SIZE : DEFAULT_EXPORT_SIZE];
}

/** Before timing, on a small export of the shape: the four variants agree, find the owner, select every thread; inspect runs. */
async function checkShape(tmp: string, args: ExportBenchArgs, shape: ExportShape): Promise<number> {
  const dir = join(tmp, `check-${shape}`);
  const m = await prepareExport(dir, { size: CHECK_EXPORT_SIZE, seed: args.seed, mediaRatio: 0.2, shape }, Math.max(2, args.zipParts));
  const t = m.tree;
  const problems: string[] = [];
  const runs: [string, CliRun][] = [];
  for (const jobs of [1, 2]) {
    runs.push([`folder, --jobs ${jobs}`, await runCli(folderInputs(t), jobs, true)]);
    runs.push([`zips, --jobs ${jobs}`, await runCli(m.zips.paths, jobs, true)]);
  }
  const [, ref] = runs[0]!;
  for (const [name, r] of runs) {
    if (r.stdoutSha256 !== ref.stdoutSha256 || r.stdoutLines !== ref.stdoutLines) problems.push(`${name}: output differs (${r.stdoutLines} lines, ${r.stdoutSha256?.slice(0, 16)}) from ${runs[0]![0]} (${ref.stdoutLines} lines, ${ref.stdoutSha256?.slice(0, 16)})`);
    if (r.stdoutLines !== r.examples) problems.push(`${name}: ${r.stdoutLines} output lines, the summary says ${r.examples} examples`);
    if (r.owner !== DEFAULT_OWNER) problems.push(`${name}: owner ${r.owner ?? '(not found)'} (line: ${r.selectedLine})`);
    if (r.threads !== t.convertedThreads) problems.push(`${name}: ${r.threads} threads converted, ${t.convertedThreads} expected`);
    const errors = r.notes.filter((l) => /^(error|skipped)/.test(l));
    if (errors.length) problems.push(`${name}: ${errors.slice(0, 3).join(' | ')}`);
  }
  if (!(ref.stdoutLines! > 0)) problems.push('no output');
  for (const [name, inputs] of [['folder', folderInputs(t)], ['zips', m.zips.paths]] as const) {
    try {
      await runCli(['inspect', ...inputs], null, false);
    } catch (err) {
      if (!(err instanceof ChildError)) throw err;
      problems.push(`inspect of the ${name}: ${err.message}`);
    }
  }
  console.log(
    `checks, shape ${shape}, on a ${formatSize(t.jsonBytes)} export (${t.threads} threads, ${t.groupThreads} groups, ${t.multiPartThreads} multi-part` +
      `${t.e2eeFiles ? `, ${t.e2eeFiles} E2EE halves` : ''}; ${m.zips.paths.length} zips, ${m.zips.splitThreads} thread(s) with parts in two zips): ` +
      (problems.length
        ? `FAILED\n${problems.map((p) => `  - ${p}`).join('\n')}`
        : `ok (folder and zips, --jobs 1 and 2: the same ${ref.stdoutLines} lines, SHA-256 ${ref.stdoutSha256!.slice(0, 16)}…, owner ${ref.owner}, ${ref.threads} threads; inspect runs)`),
  );
  for (const n of new Set(runs.flatMap(([, r]) => r.notes))) console.log(`  CLI said: ${n}`);
  rmSync(dir, { recursive: true, force: true });
  return problems.length;
}

const rssMb = (r: CliRun) => (r.maxRssBytes === null ? 'n/a' : (r.maxRssBytes / 1e6).toFixed(0));
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** Issue 18's targets for one row, beside its figures (empty for the rows that have none). */
function targetOf(v: Variant, r: CliRun, get: (name: string) => CliRun | undefined): string {
  const rssOk = r.maxRssBytes !== null && r.maxRssBytes < TARGET_RSS;
  if (v.name.startsWith('inspect')) {
    const mbps = v.bytes! / r.seconds;
    return `>= ${TARGET_INSPECT_MBPS} MB/s: ${verdict(mbps >= TARGET_INSPECT_MBPS)}; RSS < ${TARGET_INSPECT_RSS / 1e6} MB: ${verdict(r.maxRssBytes !== null && r.maxRssBytes < TARGET_INSPECT_RSS)}`;
  }
  const m = /^(folder|zips), --jobs (\d+)$/.exec(v.name);
  if (!m) return '';
  const out: string[] = [];
  if (v.jobs === 1) out.push(`>= ${TARGET_JOBS1_MBPS} MB/s: ${verdict(v.bytes! / r.seconds >= TARGET_JOBS1_MBPS)}`);
  const one = get(`${m[1]}, --jobs 1`);
  if (v.jobs === 2 && one) out.push(`>= ${TARGET_SCALING}x jobs 1 (${(one.seconds / r.seconds).toFixed(2)}x): ${verdict(one.seconds / r.seconds >= TARGET_SCALING)}`);
  const folder = get(`folder, --jobs ${m[2]}`);
  if (m[1] === 'zips' && folder) out.push(`<= ${TARGET_ZIP}x folder (${(r.seconds / folder.seconds).toFixed(2)}x): ${verdict(r.seconds / folder.seconds <= TARGET_ZIP)}`);
  out.push(`RSS < ${TARGET_RSS / 1e6} MB: ${verdict(rssOk)}`);
  return out.join('; ');
}

/** Run the whole-export benchmark; returns the number of problems (failed checks or runs). */
/** Appended to a variant's name when it runs from the baseline checkout. */
const BASELINE = ' [baseline]';

export async function runExportBench(args: ExportBenchArgs, options: { header?: boolean } = {}): Promise<number> {
  const baselineCli = args.baseline ? join(resolve(args.baseline), 'dist', 'cli', 'fbstream.js') : null;
  if (baselineCli && !existsSync(baselineCli)) throw new TypeError(`--baseline ${args.baseline}: no ${baselineCli} (build that checkout first: npx tsc -p tsconfig.json)`);
  const workspace = benchWorkspace(args.dir, 'fbstream-bench-export-', args.keep);
  const tmp = workspace.dir;
  const log = (s: string) => process.stderr.write(s);
  let failures = 0;
  try {
    if (options.header !== false) {
      console.log('fbstream whole-export benchmark');
      for (const f of machineFacts(args.baseline)) console.log(`  ${f}`);
    }
    console.log(
      `  shapes: ${args.shapes.map((s) => `${s} (${sizesFor(args, s).map(formatSize).join(', ')} of thread JSON)`).join(', ')}; media x${args.mediaRatio}; zip parts: ${args.zipParts}; ` +
        `--jobs ${args.jobs.join(', ')}; runs per variant: ${args.runs}; temp: ${tmp}${args.keep ? ' (kept)' : ''}${args.exportDir ? `; export dir: ${args.exportDir}` : ''}`,
    );
    console.log('');

    // 1. the four variants agree on a small export of each shape
    for (const shape of args.shapes) failures += await checkShape(tmp, args, shape);

    // 2. timing
    const head = ['export', 'variant', 'wall s', 'MB/s', 'peak RSS MB', 'CPU s', 'CPU/wall', 'others CPU s', 'notes', 'target (issue 18)'];
    const rows: string[][] = [];
    const summaries: string[] = [];
    let busyRuns = 0;
    for (const shape of args.shapes) for (const size of sizesFor(args, shape)) {
      const label = `${shape} ${formatSize(size)}`;
      const dir = args.exportDir ? join(args.exportDir, `${shape}-${formatSize(size).replace(/\s+/g, '')}`) : join(tmp, `export-${shape}-${formatSize(size).replace(/\s+/g, '')}`);
      const m = await prepareExport(dir, { size, seed: args.seed, mediaRatio: args.mediaRatio, shape, ...(args.threads !== undefined && { threads: args.threads }) }, args.zipParts, log);
      const t = m.tree;
      const mb = t.convertedJsonBytes / 1e6;
      summaries.push(
        `${label}: ${t.threads} threads (${t.convertedThreads} converted by default: ${formatSize(t.convertedJsonBytes)}), ${t.groupThreads} group chats, ` +
          `${t.multiPartThreads} multi-part threads, ${t.parts} message_N.json, ${t.messages} messages; JSON ${formatSize(t.jsonBytes)}` +
          `${t.e2eeFiles ? ` (E2EE download: ${t.e2eeFiles} files, ${formatSize(t.e2eeBytes ?? 0)})` : ''}, ` +
          `media ${formatSize(t.mediaBytes)} in ${t.mediaFiles} files; by section: ` +
          Object.entries(t.sections).map(([s, v]) => `${s} ${v.threads} (${formatSize(v.bytes)})`).join(', ') +
          `; largest: ${t.largest.slice(0, 4).map((l) => `${formatSize(l.bytes)}/${l.parts} parts${l.group ? ' (group)' : ''}`).join(', ')}; ` +
          `zips: ${m.zips.bytes.map(formatSize).join(' + ')} (${m.zips.entries.join(' + ')} entries, ${m.zips.splitThreads} thread(s) split across zips)` +
          `; generated in ${t.seconds.toFixed(0)} s, zipped in ${m.zips.seconds.toFixed(0)} s`,
      );

      // every variant once per round, rounds one after another: the machine drifts by ±10% over
      // minutes, and a ratio of two variants measured minutes apart would carry that drift
      const big = t.largest[0]!;
      const small = t.smallest;
      const own: Omit<Variant, 'cli'>[] = [];
      for (const jobs of args.jobs) {
        own.push({ name: `folder, --jobs ${jobs}`, inputs: folderInputs(t), jobs, bytes: mb });
        own.push({ name: `zips, --jobs ${jobs}`, inputs: m.zips.paths, jobs, bytes: mb });
      }
      // inspect reads every section: MB/s over all the JSON
      own.push({ name: 'inspect, folder', inputs: ['inspect', ...folderInputs(t)], jobs: null, bytes: t.jsonBytes / 1e6 });
      own.push({ name: 'inspect, zips', inputs: ['inspect', ...m.zips.paths], jobs: null, bytes: t.jsonBytes / 1e6 });
      const aloneName = `largest thread alone (${formatSize(big.bytes)}, its folder), --jobs 1`;
      own.push({ name: aloneName, inputs: [big.dir, '--me', DEFAULT_OWNER], jobs: 1, bytes: big.bytes / 1e6 });
      // the serial part of every run: start-up, listing, index, owner detection (every thread's header)
      const fixedName = `fixed cost: folder, --thread <one ${formatSize(small.bytes)} thread>, --jobs 1`;
      own.push({ name: fixedName, inputs: [...folderInputs(t), '--thread', small.key.slice(small.key.lastIndexOf('/') + 1)], jobs: 1, bytes: null });
      const startupName = 'start-up alone: fbstream --version';
      own.push({ name: startupName, inputs: ['--version'], jobs: 1, bytes: null });
      // a baseline's run just before each of ours: both see the same minutes of the machine
      const variants: Variant[] = own.flatMap((v) => [...(baselineCli ? [{ ...v, name: v.name + BASELINE, cli: baselineCli }] : []), { ...v, cli: CLI_JS }]);

      const runsOf = new Map<string, CliRun[]>(variants.map((v) => [v.name, []]));
      const failed = new Map<string, string>();
      for (let i = 0; i < args.runs; ++i) {
        for (const v of variants) {
          if (failed.has(v.name)) continue;
          const warmed = warmPageCache(v.inputs);
          const waited = await waitForQuiet(args.idleWait);
          if (waited < 0) ++busyRuns;
          log(`  ${label} ${v.name} (${i + 1}/${args.runs})${waited < 0 ? ' [machine busy]' : waited >= 2 ? ` [waited ${waited.toFixed(0)} s for a quiet machine]` : ''}...`);
          try {
            const r = await runCli(v.inputs, v.jobs, false, [], v.cli);
            log(` ${r.seconds.toFixed(1)} s, ${r.maxRssBytes === null ? '?' : (r.maxRssBytes / 1e6).toFixed(0)} MB, others used ${r.otherCpuSeconds?.toFixed(1) ?? '?'} CPU s${warmed >= 1 ? ` (page cache warmed in ${warmed.toFixed(1)} s)` : ''}\n`);
            runsOf.get(v.name)!.push(r);
          } catch (err) {
            log(' failed\n');
            if (!(err instanceof ChildError)) throw err;
            failed.set(v.name, err.message);
          }
        }
      }

      const results = new Map<string, CliRun>();
      for (const v of variants) {
        if (failed.has(v.name)) continue;
        const runs = runsOf.get(v.name)!;
        const secs = median(runs.map((r) => r.seconds));
        const mid = runs.find((r) => r.seconds === secs) ?? runs[0]!;
        const rsses = runs.map((r) => r.maxRssBytes).filter((x): x is number => x !== null);
        results.set(v.name, { ...mid, seconds: secs, maxRssBytes: rsses.length ? Math.max(...rsses) : null });
      }
      for (const v of variants) {
        const why = failed.get(v.name);
        const r = results.get(v.name);
        if (why !== undefined || !r) {
          rows.push([label, v.name, '', 'failed', '', '', '', '', why ?? '', '']);
          ++failures;
          continue;
        }
        const secs = r.seconds;
        rows.push([
          label, v.name, secs.toFixed(1), v.bytes === null ? '' : (v.bytes / secs).toFixed(1), rssMb(r),
          r.cpuSeconds === null ? 'n/a' : r.cpuSeconds.toFixed(1), r.cpuSeconds === null ? '' : (r.cpuSeconds / secs).toFixed(2),
          r.otherCpuSeconds === null ? 'n/a' : r.otherCpuSeconds.toFixed(1),
          r.examples === null ? '' : `${r.examples} examples, ${r.threads ?? '?'} threads`,
          v.cli === CLI_JS ? targetOf(v, r, (k) => results.get(k)) : '',
        ]);
      }
      const alone = results.get(aloneName);
      const fixed = results.get(fixedName);
      const startup = results.get(startupName);

      // the same output from every variant (example counts)
      const whole = (k: string) => k.startsWith('folder') || k.startsWith('zips');
      const counts = new Set([...results.entries()].filter(([k]) => whole(k)).map(([, r]) => r.examples));
      if (counts.size > 1) {
        rows.push([label, 'MISMATCH', '', '', '', '', '', '', `example counts: ${[...counts].join(', ')}`, '']);
        ++failures;
      }

      // ratios, and the bounds of what parallelism can give
      const get = (k: string) => results.get(k);
      const notes: string[] = [];
      const rssAll = [...results.entries()].filter(([k]) => (whole(k) || k.startsWith('inspect')) && !k.endsWith(BASELINE));
      const worstRss = Math.max(...rssAll.map(([, r]) => r.maxRssBytes ?? 0));
      notes.push(`peak RSS: highest ${(worstRss / 1e6).toFixed(0)} MB (${rssAll.map(([k, r]) => `${k} ${rssMb(r)}`).join(', ')})`);
      const j1 = args.jobs[0]!;
      for (const jobs of args.jobs.slice(1)) {
        for (const input of ['folder', 'zips']) {
          const a = get(`${input}, --jobs ${j1}`);
          const b = get(`${input}, --jobs ${jobs}`);
          if (!a || !b) continue;
          const x = a.seconds / b.seconds;
          // the best a run with `jobs` workers could do: the fixed part, then the rest shared, but no sooner than the largest thread alone
          const f = fixed?.seconds ?? 0;
          const s0 = startup?.seconds ?? 0;
          const ideal = alone ? f + Math.max(alone.seconds - s0, (a.seconds - f) / jobs) : null;
          // and no sooner than its CPU time spread over the cores it may use (GC and I/O threads included)
          const cores = Math.min(jobs, os.availableParallelism());
          const cpuFloor = b.cpuSeconds !== null ? b.cpuSeconds / cores : null;
          const floor = ideal !== null
            ? ` (by scheduling, at best ${ideal.toFixed(1)} s = ${(a.seconds / ideal).toFixed(2)}x: fixed cost ${f.toFixed(1)} s, largest thread alone ${alone!.seconds.toFixed(1)} s incl. ${s0.toFixed(1)} s start-up` +
              `${cpuFloor !== null ? `; by CPU, at best ${cpuFloor.toFixed(1)} s = ${(a.seconds / cpuFloor).toFixed(2)}x: ${b.cpuSeconds!.toFixed(1)} CPU s (--jobs ${j1}: ${a.cpuSeconds?.toFixed(1) ?? '?'}) over ${cores} cores` : ''})`
            : '';
          notes.push(`${input}: --jobs ${jobs} is ${x.toFixed(2)}x --jobs ${j1}${floor}`);
        }
      }
      summaries.push(...notes.map((n) => `  ${label} ${n}`));
      if (!args.exportDir) rmSync(dir, { recursive: true, force: true });
    }

    console.log('');
    printTable(head, rows, [false, false, true, true, true, true, true, true, false, false]);
    console.log('');
    console.log('MB = 10^6 bytes. MB/s: JSON bytes of the threads converted (default sections; inspect: every section) / wall time of');
    console.log('the whole CLI process (median of runs; start-up, index and owner detection included); peak RSS: maxRSS of the process');
    console.log('(main thread and workers), highest of runs; CPU s: user + system CPU of the process; others CPU s: CPU the rest of the');
    console.log('machine used meanwhile (/proc/stat; on a shared machine, more than a little of it slows the runs down and hides scaling).');
    console.log('Output to /dev/null. Inputs read once before each run (into the page cache). With --runs N, every variant runs once per round.');
    if (busyRuns) console.log(`${busyRuns} run(s) started on a busy machine (no quiet second within --idle-wait ${args.idleWait} s).`);
    console.log(
      `Targets (issue 18, for a ~300 MB real-shape export; reported, not asserted): --jobs 1 >= ${TARGET_JOBS1_MBPS} MB/s; --jobs 2 >= ${TARGET_SCALING}x --jobs 1; ` +
        `zips within ${Math.round((TARGET_ZIP - 1) * 100)}% of the folder; peak RSS < ${TARGET_RSS / 1e6} MB; inspect >= ${TARGET_INSPECT_MBPS} MB/s with peak RSS < ${TARGET_INSPECT_RSS / 1e6} MB.`,
    );
    for (const s of summaries) console.log(s);
    if (failures) console.log(`\n${failures} problem(s): see above.`);
    return failures;
  } finally {
    workspace.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `Usage: node dist/bench/export.js ${EXPORT_USAGE} [--runs N] [--dir DIR] [--keep] [--seed N]
       node dist/bench/export.js --generate DIR [--shape big|real] [--export-size 200MB] [--zip-parts 2] [--media-ratio 1] [--export-threads N] [--seed N]`;

async function main(argv: string[]): Promise<number> {
  const a = defaultExportArgs();
  let generate: string | null = null;
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new TypeError(`${flag} needs a value`);
      return v;
    };
    if (exportFlag(a, flag, value)) continue;
    switch (flag) {
      case '--runs': a.runs = Number(value()); break;
      case '--dir': a.dir = value(); break;
      case '--keep': a.keep = true; break;
      case '--seed': a.seed = Number(value()); break;
      case '--generate': generate = value(); break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        return 0;
      default:
        throw new TypeError(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  if (!Number.isInteger(a.runs) || a.runs < 1) throw new TypeError(`--runs must be an integer >= 1, got ${a.runs}`);
  if (!Number.isInteger(a.seed)) throw new TypeError(`--seed must be an integer, got ${a.seed}`);
  if (generate !== null) {
    if (a.shapes.length !== 1) a.shapes = ['big'];
    const shape = a.shapes[0]!;
    const m = await prepareExport(generate, { size: a.sizes[0] ?? 200e6, seed: a.seed, mediaRatio: a.mediaRatio, shape, ...(a.threads !== undefined && { threads: a.threads }) }, a.zipParts, (s) => process.stderr.write(s));
    process.stdout.write(JSON.stringify({ root: m.tree.root, ...(m.tree.e2eeRoot && { e2eeRoot: m.tree.e2eeRoot }), zips: m.zips.paths }) + '\n');
    return 0;
  }
  return (await runExportBench(a)) ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench/export: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
