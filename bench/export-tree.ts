/**
 * Writing a planned export (bench/export-plan.ts) to disk, deterministically for a seed.
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
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRandom, metaString, ThreadGenerator, DEFAULT_OWNER, DEFAULT_PER_PART, type Random } from './generate.js';
import { e2eeFileText } from './real-shape.js';
import { CONVERTED_SECTIONS, type ExportOptions, type ThreadSpec, digits, planExport } from './export-plan.js';

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
