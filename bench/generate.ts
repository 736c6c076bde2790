#!/usr/bin/env node
/**
 * A deterministic generator of realistic Messenger exports (classic "Download Your Information"
 * JSON, docs/formats.md), for tests and benchmarks. No dependencies; a seeded PRNG (sfc32).
 *
 * What the output looks like, as Meta writes it:
 * - `JSON.stringify(doc, null, 2)` layout (every field of a message on its own line) except that an
 *   empty array is written open, `[\n\n  ]`, as Meta does; no trailing newline; pure ASCII: every
 *   non-ASCII UTF-8 byte is its own `\u00XX` escape (mojibake), in names, content, titles, reactions;
 * - every message ends with `is_geoblocked_for_viewer` and `is_unsent_image_by_messenger_kid_parent`
 *   (false), as in recent exports;
 * - top-level keys participants, messages, title, is_still_participant, thread_path, magic_words;
 * - messages newest-first (timestamps strictly decreasing unless `tieRate` > 0);
 * - a 1:1 thread: the owner and one friend, in runs of consecutive messages by one sender; mostly
 *   text, with photos, gifs, videos, stickers, shares, calls, unsent messages, "X sent an
 *   attachment." notices, "Reacted … to your message " notices, empty messages, and reactions.
 *
 * For tests, every text message's content starts with `#<seq> ` where seq is the message's
 * chronological index in the whole thread (0 = the oldest message, N-1 = the newest); only text
 * messages carry one, so the text seqs have gaps where other kinds are. The newest and the oldest
 * message are always text messages written by the owner. Shares carry their link as content
 * (`https://…`, no seq). `stats` reports what was written (and, with `recordTextSeqs`, which seqs
 * are text messages).
 *
 * Sizes: `messages` gives an exact count; `size` a byte target, reached by estimating the count
 * from a sample of the same generator and steering text lengths as it goes: the output is at least
 * `size` bytes and at most a few hundred bytes over (for sizes above a few KB).
 *
 * Streaming: output is produced message by message in ~64 KiB chunks; nothing grows with the size.
 *
 * Export shapes: bench/real-shape.ts plans a real inbox's threads (a log-normal body fitted to the
 * median and p90, a Pareto tail fitted to the maximum; every section in the real proportions;
 * groups; E2EE halves) and writes the E2EE download's files; bench/export.ts writes the tree
 * (`--generate DIR --shape real`). docs/benchmarks.md has the why.
 *
 * CLI: node dist/bench/generate.js --size 300MB [--seed N] [--out FILE | --parts DIR [--per-part 10000]]
 *      [--messages N] [--owner NAME] [--friend NAME] [--tie-rate P]; stats go to stderr as JSON.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';

export const DEFAULT_OWNER = 'Ada Lovelace';
export const DEFAULT_FRIEND = 'Zoë Ångström';
/** 2024-06-01T12:00:00Z */
export const DEFAULT_NEWEST_MS = 1_717_243_200_000;
export const DEFAULT_PER_PART = 10_000;
const CHUNK_BYTES = 64 * 1024;
/** The whole thread spans at most this long (older timestamps than 1970 would be absurd). */
const MAX_SPAN_MS = 12 * 365 * 24 * 3_600_000;
/** Mean silence between two messages, before scaling down for very large threads. */
export const MEAN_GAP_MS = 10 * 60_000;

export type GeneratedKind =
  | 'text' | 'photo' | 'gif' | 'video' | 'sticker' | 'share' | 'call' | 'unsent' | 'notice' | 'reaction' | 'empty';

/** Kinds and their probabilities (per message; the newest and oldest are always text). */
const KIND_WEIGHTS: ReadonlyArray<[GeneratedKind, number]> = [
  ['text', 0.8], ['photo', 0.05], ['gif', 0.01], ['video', 0.01], ['sticker', 0.03], ['share', 0.03],
  ['call', 0.01], ['unsent', 0.02], ['notice', 0.02], ['reaction', 0.01], ['empty', 0.01],
];

export interface ThreadOptions {
  /** PRNG seed (an integer). Default 1. */
  seed?: number;
  /** Exact number of messages (>= 1). */
  messages?: number;
  /** Target size in bytes (of the whole thread, every part included). Default 1 MB when `messages` is not given. */
  size?: number;
  /** The export's owner, the sender whose messages become the assistant's. Default "Ada Lovelace". */
  owner?: string;
  /** The other participant. Default "Zoë Ångström". */
  friend?: string;
  /** Timestamp of the newest message. Default 2024-06-01T12:00Z. */
  newestMs?: number;
  /** `thread_path`. Default `inbox/<friend slug>_<digits from the seed>`. */
  threadPath?: string;
  /** Probability that a message has the same timestamp as the next newer one. Default 0. */
  tieRate?: number;
  /** Record which seqs are text messages, and whose, in `stats.textSeqs` (one byte per message). */
  recordTextSeqs?: boolean;
  /** Called for each message, newest-first, with the object as intended (real text, before escaping). */
  onMessage?: (message: Record<string, unknown>, info: { seq: number; kind: GeneratedKind }) => void;
}

export interface ThreadStats {
  bytes: number;
  messages: number;
  textMessages: number;
  parts: number;
  kinds: Record<string, number>;
  senders: Record<string, number>;
  newestMs: number;
  oldestMs: number;
  threadPath: string;
  owner: string;
  friend: string;
  /** With `recordTextSeqs`: for each seq, 0 when that message is not a text message, 1 when it is the owner's text, 2 the friend's. */
  textSeqs?: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Meta's escaping

const NON_ASCII = /[^\x00-\x7f]+/g;

function escapeRun(run: string): string {
  let out = '';
  for (const b of Buffer.from(run, 'utf8')) out += '\\u00' + (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

/** A JSON string literal as Meta writes it: ASCII, each non-ASCII UTF-8 byte a `\u00XX` escape. */
export function metaString(s: string): string {
  return JSON.stringify(s).replace(NON_ASCII, escapeRun);
}

/** A line of JSON.stringify(x, null, 2) that ends with an empty array (a string value ends with `"`). */
const EMPTY_ARRAY_LINE = /^( *)(.*)\[\](,?)$/gm;

/**
 * The reference (slow) writer: any value as Meta's file would hold it, JSON.stringify(x, null, 2)
 * with Meta's escapes, and an empty array written open, with a blank line: `[\n\n  ]`.
 */
export function metaStringify(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(NON_ASCII, escapeRun).replace(EMPTY_ARRAY_LINE, '$1$2[\n\n$1]$3');
}

/** What `JSON.parse` gives for a Meta string: the UTF-8 bytes as Latin-1 chars. */
export function toMojibake(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

// ---------------------------------------------------------------------------------------------
// PRNG

export type Random = () => number;

/** sfc32 seeded through splitmix32: uniform floats in [0, 1). */
export function createRandom(seed: number): Random {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix(), b = splitmix(), c = splitmix(), d = splitmix();
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; ++i) next();
  return next;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary: each word as real text and as Meta writes it inside a string literal

interface Piece {
  text: string;
  json: string;
}

const piece = (text: string): Piece => ({ text, json: metaString(text).slice(1, -1) });

const WORDS = (
  'the be to of and a in that have I it for not on with he as you do at this but his by from they we say her she or an will ' +
  'my one all would there their what so up out if about who get which go me when make can like time no just him know take ' +
  'people into year your good some could them see other than then now look only come its over think also back after use two ' +
  'how our work first well way even new want because any these give day most us ok okay yes yeah lol haha sure thanks tonight ' +
  'tomorrow later dinner coffee train meeting weekend movie book music game call home office late early soon maybe really ' +
  'great nice cool funny weird tired busy free happy sorry love miss see you soon where when why how much many little big ' +
  'pizza beer wine tea lunch breakfast party beach park city station airport flight hotel ticket photo picture message phone'
).split(' ');

const ACCENTED = [
  'café', 'naïve', 'déjà', 'vu', 'über', 'señor', 'façade', 'smörgåsbord', 'crème', 'brûlée', 'jalapeño', 'résumé',
  'Zürich', 'Kraków', 'São', 'Paulo', 'Malmö', 'fiancée', 'piñata', 'Ærø', 'straße', 'niño', 'Ångström',
  'it’s', 'don’t', 'I’m', '“really”', '€5', '½', '你好', 'こんにちは', 'привет', 'γεια',
];

const EMOJI = ['😂', '❤️', '👍', '😢', '🎉', '😮', '🙏', '🔥', '😅', '🤔', '👀', '🥳'];
/** Meta's reactions: ❤ without the variation selector, among others. */
export const REACTIONS = ['❤', '😂', '😮', '😢', '😠', '👍', '😍'];
const ENDS = ['.', '?', '!', '...', '!!', '?!'];

const WORD_PIECES = WORDS.map(piece);
const ACCENTED_PIECES = ACCENTED.map(piece);
const EMOJI_PIECES = EMOJI.map(piece);
const REACTION_PIECES = REACTIONS.map(piece);
const QUOTED = piece('"quoted"');
const BACKSLASH = piece('C:\\temp');
const AVG_WORD_JSON = 6;
const CONTENT_OPEN = ',\n      "content": "';
const GEOBLOCKED_CLOSE = ',\n      "is_geoblocked_for_viewer": false,\n      "is_unsent_image_by_messenger_kid_parent": false\n    }';

// ---------------------------------------------------------------------------------------------
// The thread

function slugOf(name: string): string {
  return name.normalize('NFD').replace(/[^A-Za-z0-9]/g, '').toLowerCase() || 'facebookuser';
}

/** n random decimal digits, the first not 0. */
export function digits(rand: Random, n: number): string {
  let s = String(1 + Math.floor(rand() * 9));
  while (s.length < n) s += String(1e8 + Math.floor(rand() * 1e8)).slice(1, 1 + Math.min(8, n - s.length));
  return s;
}

/** Parse `300MB`, `1GB`, `64KiB`, `1000` (bytes). MB/GB are decimal, MiB/GiB binary. */
export function parseSize(s: string | number): number {
  if (typeof s === 'number') return s;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$/i.exec(s);
  if (!m) throw new TypeError(`Invalid size: ${s}`);
  const unit = (m[2] ?? '').toLowerCase().replace(/b$/, '');
  const mult: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3, ti: 1024 ** 4 };
  if (!(unit in mult)) throw new TypeError(`Invalid size unit: ${s}`);
  return Math.round(Number(m[1]) * mult[unit]!);
}

export function formatSize(bytes: number): string {
  if (bytes >= 1e9) return `${+(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${+(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${+(bytes / 1e3).toFixed(1)} KB`;
  return `${bytes} B`;
}

interface Plan {
  total: number;
  /** Target bytes of all message bodies (without separators), when steering to a size. */
  bodyBudget: number | null;
  avgBody: number;
  textFraction: number;
}

/**
 * The core: a thread's header, its messages newest-first one by one, and its footer, as strings.
 * `header()` + bodies joined by `,\n` (the first preceded by `\n`) + `closing()` + `footer()`.
 */
export class ThreadGenerator {
  readonly stats: ThreadStats;
  readonly total: number;
  private readonly rand: Random;
  private readonly owner: Piece;
  private readonly friend: Piece;
  private readonly friendFirst: string;
  private readonly ownerLine: string;
  private readonly friendLine: string;
  private readonly slug: string;
  private readonly prefix: string;
  private readonly suffix: string;
  private readonly tieRate: number;
  private readonly meanGapMs: number;
  private readonly onMessage: ThreadOptions['onMessage'];
  private readonly plan: Plan;
  private readonly seqBase: number;
  private position = 0;
  private bodyBytes = 0;
  private ts: number;
  private sender: 0 | 1 = 0; // 0 owner, 1 friend

  constructor(options: ThreadOptions = {}, plan?: Plan, seqBase?: number) {
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) throw new TypeError(`Invalid option seed: must be an integer, got ${seed}`);
    const ownerName = options.owner ?? DEFAULT_OWNER;
    const friendName = options.friend ?? DEFAULT_FRIEND;
    if (ownerName === friendName) throw new TypeError('owner and friend must differ');
    this.rand = createRandom(seed);
    this.owner = piece(ownerName);
    this.friend = piece(friendName);
    this.friendFirst = friendName.split(' ')[0]!;
    this.ownerLine = `    {\n      "sender_name": "${this.owner.json}",\n      "timestamp_ms": `;
    this.friendLine = `    {\n      "sender_name": "${this.friend.json}",\n      "timestamp_ms": `;
    this.tieRate = options.tieRate ?? 0;
    if (!(this.tieRate >= 0 && this.tieRate < 1)) throw new TypeError(`Invalid option tieRate: must be in [0, 1), got ${this.tieRate}`);
    this.onMessage = options.onMessage;
    const idRand = createRandom(seed ^ 0x5bd1e995);
    this.slug = `${slugOf(friendName)}_${digits(idRand, 17)}`;
    const threadPath = options.threadPath ?? `inbox/${this.slug}`;
    this.prefix =
      '{\n  "participants": [\n' +
      `    {\n      "name": "${this.friend.json}"\n    },\n    {\n      "name": "${this.owner.json}"\n    }\n` +
      '  ],\n  "messages": [';
    this.suffix =
      `,\n  "title": "${this.friend.json}",\n  "is_still_participant": true,\n  "thread_path": ${metaString(threadPath)},\n  "magic_words": [\n\n  ]\n}`;
    this.plan = plan ?? planFor(options);
    this.total = this.plan.total;
    this.seqBase = seqBase ?? this.total;
    this.ts = options.newestMs ?? DEFAULT_NEWEST_MS;
    this.meanGapMs = Math.max(1, Math.min(MEAN_GAP_MS, MAX_SPAN_MS / Math.max(1, this.total)));
    this.stats = {
      bytes: 0, messages: 0, textMessages: 0, parts: 0, kinds: {}, senders: { [ownerName]: 0, [friendName]: 0 },
      newestMs: this.ts, oldestMs: this.ts, threadPath, owner: ownerName, friend: friendName,
      ...(options.recordTextSeqs && { textSeqs: new Uint8Array(this.total) }),
    };
  }

  get done(): boolean {
    return this.position >= this.total;
  }

  /** Everything before the first message of a part (ends with `"messages": [`). */
  header(): string {
    return this.prefix;
  }

  /** After the last message of a part: `\n  ]`, or `]` when the part has none. */
  closing(empty: boolean): string {
    return empty ? ']' : '\n  ]';
  }

  /** Everything after the messages array. */
  footer(): string {
    return this.suffix;
  }

  /** Bytes every part costs besides its message bodies, for a part of k >= 1 messages. */
  partOverhead(k: number): number {
    return this.prefix.length + 1 + 2 * (k - 1) + 4 + this.suffix.length;
  }

  /** The next message (newest-first) as Meta writes it, indented for the messages array. */
  next(): string {
    const p = this.position++;
    const seq = this.seqBase - 1 - p;
    const r = this.rand;
    const last = p === this.total - 1;

    // sender: runs of one sender; the newest and the oldest are the owner's
    if (p > 0 && r() < 0.55) this.sender = this.sender === 0 ? 1 : 0;
    if (p === 0 || last) this.sender = 0;
    // timestamp: strictly decreasing, bursts and silences
    if (p > 0 && !(this.tieRate > 0 && r() < this.tieRate)) this.ts -= this.gap();
    // kind
    let kind: GeneratedKind = 'text';
    if (p > 0 && !last) {
      let x = r();
      for (const [k, w] of KIND_WEIGHTS) {
        if ((x -= w) < 0) {
          kind = k;
          break;
        }
      }
    }

    const me = this.sender === 0;
    const from = me ? this.owner : this.friend;
    const other = me ? this.friend : this.owner;
    const obj: Record<string, unknown> | null = this.onMessage ? { sender_name: from.text, timestamp_ms: this.ts } : null;
    let s = (me ? this.ownerLine : this.friendLine) + this.ts;
    const tsSec = Math.floor(this.ts / 1000);

    switch (kind) {
      case 'text': {
        // the frame around the content, so that the oldest message can close the gap to the size target
        const frame = s.length + CONTENT_OPEN.length + 1 + GEOBLOCKED_CLOSE.length;
        const content = this.text(seq, last ? frame : -1);
        s += CONTENT_OPEN + content.json + '"';
        if (obj) obj['content'] = content.text;
        if (!last && r() < 0.1) {
          const reaction = REACTION_PIECES[Math.floor(r() * REACTION_PIECES.length)]!;
          const actor = r() < 0.9 ? other : from;
          s += `,\n      "reactions": [\n        {\n          "reaction": "${reaction.json}",\n          "actor": "${actor.json}"\n        }\n      ]`;
          if (obj) obj['reactions'] = [{ reaction: reaction.text, actor: actor.text }];
        }
        ++this.stats.textMessages;
        if (this.stats.textSeqs) this.stats.textSeqs[seq] = me ? 1 : 2;
        break;
      }
      case 'photo':
      case 'video': {
        const key = kind === 'photo' ? 'photos' : 'videos';
        const ext = kind === 'photo' ? 'jpg' : 'mp4';
        const n = kind === 'photo' && r() < 0.2 ? 2 + Math.floor(r() * 3) : 1;
        const items: Record<string, unknown>[] = [];
        s += `,\n      "${key}": [`;
        for (let i = 0; i < n; ++i) {
          const uri = `messages/inbox/${this.slug}/${key}/${digits(r, 9)}_${digits(r, 15)}_${digits(r, 19)}_n_${digits(r, 15)}.${ext}`;
          s += `${i ? ',' : ''}\n        {\n          "uri": "${uri}",\n          "creation_timestamp": ${tsSec}\n        }`;
          items.push({ uri, creation_timestamp: tsSec });
        }
        s += '\n      ]';
        if (obj) obj[key] = items;
        break;
      }
      case 'gif': {
        const uri = `messages/inbox/${this.slug}/gifs/${digits(r, 9)}_${digits(r, 15)}_${digits(r, 19)}_n_${digits(r, 15)}.gif`;
        s += `,\n      "gifs": [\n        {\n          "uri": "${uri}"\n        }\n      ]`;
        if (obj) obj['gifs'] = [{ uri }];
        break;
      }
      case 'sticker': {
        const uri = `messages/stickers_used/${digits(r, 8)}_${digits(r, 16)}_${digits(r, 19)}_n_${digits(r, 15)}.png`;
        s += `,\n      "sticker": {\n        "uri": "${uri}",\n        "ai_stickers": [\n\n        ]\n      }`;
        if (obj) obj['sticker'] = { uri, ai_stickers: [] };
        break;
      }
      case 'share': {
        const link = `https://www.example.com/${WORDS[Math.floor(r() * WORDS.length)]}/${digits(r, 8)}?ref=${digits(r, 4)}`;
        const caption = r() < 0.6 ? this.sentence(2 + Math.floor(r() * 6)) : null;
        s += `,\n      "content": "${link}",\n      "share": {\n        "link": "${link}"`;
        if (caption) s += `,\n        "share_text": "${caption.json}"`;
        s += '\n      }';
        if (obj) {
          obj['content'] = link;
          obj['share'] = caption ? { link, share_text: caption.text } : { link };
        }
        break;
      }
      case 'call': {
        const duration = r() < 0.3 ? 0 : Math.floor(r() * 3600);
        const text = duration === 0
          ? (me ? `${this.friendFirst} missed your call.` : `You missed a call from ${this.friendFirst}.`)
          : (me ? `You called ${this.friendFirst}.` : `${this.friendFirst} called you.`);
        s += `,\n      "content": ${metaString(text)},\n      "call_duration": ${duration}`;
        if (obj) Object.assign(obj, { content: text, call_duration: duration });
        break;
      }
      case 'unsent': {
        if (r() < 0.5) {
          const text = `${me ? 'You' : this.friendFirst} unsent a message.`;
          s += `,\n      "content": ${metaString(text)}`;
          if (obj) obj['content'] = text;
        }
        s += ',\n      "is_unsent": true';
        if (obj) obj['is_unsent'] = true;
        break;
      }
      case 'notice': {
        const text = `${from.text} sent an attachment.`;
        s += `,\n      "content": "${from.json} sent an attachment."`;
        if (obj) obj['content'] = text;
        break;
      }
      case 'reaction': {
        const reaction = r() < 0.5 ? REACTION_PIECES[Math.floor(r() * REACTION_PIECES.length)]! : EMOJI_PIECES[0]!;
        s += `,\n      "content": "Reacted ${reaction.json} to your message "`;
        if (obj) obj['content'] = `Reacted ${reaction.text} to your message `;
        break;
      }
      case 'empty':
        break;
    }
    s += GEOBLOCKED_CLOSE;
    if (obj) Object.assign(obj, { is_geoblocked_for_viewer: false, is_unsent_image_by_messenger_kid_parent: false });

    this.bodyBytes += s.length;
    ++this.stats.messages;
    this.stats.kinds[kind] = (this.stats.kinds[kind] ?? 0) + 1;
    ++this.stats.senders[me ? this.stats.owner : this.stats.friend]!;
    this.stats.oldestMs = this.ts;
    this.onMessage?.(obj!, { seq, kind });
    return s;
  }

  private gap(): number {
    const r = this.rand;
    const mean = this.meanGapMs;
    const x = r();
    // mostly a quick reply, sometimes a pause, rarely a long silence; mean ~ `mean`
    const scale = x < 0.8 ? 0.05 : x < 0.97 ? 1.5 : 20;
    return 1 + Math.floor(-Math.log(1 - r()) * mean * scale * 0.6);
  }

  /** A text message's content: `#<seq> ` and 1-3 sentences, steered towards the size target. */
  private text(seq: number, lastFrame: number): Piece {
    const last = lastFrame >= 0;
    const r = this.rand;
    let text = `#${seq} `;
    let json = text;
    const sentences = r() < 0.75 ? 1 : r() < 0.7 ? 2 : 3;
    const { bodyBudget, avgBody, textFraction } = this.plan;
    let extraWords = 0;
    let fill = 0;
    if (bodyBudget !== null) {
      const remaining = this.total - this.position + 1;
      if (last) {
        // the oldest message closes the gap to the target
        fill = bodyBudget - this.bodyBytes - lastFrame;
      } else {
        const slack = bodyBudget - this.bodyBytes - remaining * avgBody;
        const perText = slack / Math.max(1, remaining * textFraction);
        extraWords = Math.floor(perText / AVG_WORD_JSON + r());
        extraWords = Math.max(-6, Math.min(12, extraWords));
      }
    }
    for (let i = 0; i < sentences; ++i) {
      let n = 1 + Math.floor(-Math.log(1 - r()) * 5);
      if (i === 0) n = Math.max(1, n + extraWords);
      const s = this.sentence(n);
      if (i > 0) {
        const sep = r() < 0.15 ? '\n' : ' ';
        text += sep;
        json += sep === '\n' ? '\\n' : ' ';
      }
      text += s.text;
      json += s.json;
    }
    if (last) {
      // pad with words until the target is met: at most one word over it
      while (json.length < fill) {
        const w = WORD_PIECES[Math.floor(r() * WORD_PIECES.length)]!;
        text += ' ' + w.text;
        json += ' ' + w.json;
      }
    }
    return { text, json };
  }

  private sentence(n: number): Piece {
    const r = this.rand;
    let text = '';
    let json = '';
    for (let i = 0; i < n; ++i) {
      const x = r();
      const w = x < 0.9 ? WORD_PIECES[Math.floor(r() * WORD_PIECES.length)]!
        : x < 0.96 ? ACCENTED_PIECES[Math.floor(r() * ACCENTED_PIECES.length)]!
        : x < 0.985 ? EMOJI_PIECES[Math.floor(r() * EMOJI_PIECES.length)]!
        : x < 0.995 ? QUOTED : BACKSLASH;
      if (i > 0) {
        text += ' ';
        json += ' ';
      }
      text += w.text;
      json += w.json;
    }
    const x = r();
    if (x < 0.6) {
      const end = ENDS[Math.floor(r() * ENDS.length)]!;
      text += end;
      json += end;
    } else if (x < 0.7) {
      const e = EMOJI_PIECES[Math.floor(r() * EMOJI_PIECES.length)]!;
      text += ' ' + e.text;
      json += ' ' + e.json;
    }
    return { text, json };
  }
}

/** How many messages, and the byte budget of their bodies, for the options. */
function planFor(options: ThreadOptions, perPart = 0): Plan {
  if (options.messages !== undefined) {
    if (!Number.isInteger(options.messages) || options.messages < 1) {
      throw new TypeError(`Invalid option messages: must be an integer >= 1, got ${options.messages}`);
    }
    return { total: options.messages, bodyBudget: null, avgBody: 0, textFraction: 0.8 };
  }
  const size = options.size ?? 1e6;
  if (!Number.isFinite(size) || size < 1) throw new TypeError(`Invalid option size: must be a number of bytes >= 1, got ${size}`);
  // sample the same generator (same seed, seqs of the right magnitude) for the mean body size
  const sample = (n: number, seqBase: number) => {
    const g = new ThreadGenerator({ ...options, onMessage: undefined, recordTextSeqs: false }, { total: n, bodyBudget: null, avgBody: 0, textFraction: 0.8 }, seqBase);
    let bytes = 0;
    let first = 0;
    for (let i = 0; i < n; ++i) {
      const len = g.next().length;
      if (i === 0) first = len;
      bytes += len;
    }
    return { avg: n > 1 ? (bytes - first) / (n - 1) : bytes, text: g.stats.textMessages / n, overhead: g.partOverhead(1) };
  };
  let guess = Math.max(1, Math.round(size / 260));
  let s = sample(Math.min(20_000, Math.max(2, guess)), guess);
  const fixed = (n: number) => {
    const parts = perPart > 0 ? Math.ceil(n / perPart) : 1;
    return parts * (s.overhead - 1) + (n - parts) * 2 + parts;
  };
  for (let i = 0; i < 2; ++i) {
    const n = Math.max(1, Math.floor((size - fixed(guess)) / (s.avg + 2)));
    if (n === guess) break;
    guess = n;
    if (i === 0) s = sample(Math.min(20_000, Math.max(2, guess)), guess);
  }
  const total = Math.max(1, guess);
  return { total, bodyBudget: size - fixed(total), avgBody: s.avg, textFraction: Math.max(0.05, s.text) };
}

// ---------------------------------------------------------------------------------------------
// Ways to get the output

/**
 * The thread as one file, in string chunks of ~64 KiB (pure ASCII: length = bytes). `stats` is
 * filled as it goes and complete when the generator ends (it is also the generator's return value).
 */
export type ThreadChunks = Generator<Buffer, ThreadStats> & { readonly stats: ThreadStats };

/**
 * The thread as one file, in Buffers of ~64 KiB (pure ASCII). `stats` is filled as it goes and
 * complete when the generator ends (it is also the generator's return value). Each Buffer is new:
 * callers may keep it.
 */
export function generateThread(options: ThreadOptions = {}): ThreadChunks {
  const g = new ThreadGenerator(options);
  return Object.assign(chunksOf(g, Infinity), { stats: g.stats });
}

/**
 * Bytes of one part of `g` (at most `max` messages): strings are written straight into a Buffer
 * (Buffer#write, latin1), one message at a time: flattening one long concatenated string costs more than
 * generating it.
 */
function* chunksOf(g: ThreadGenerator, max: number): Generator<Buffer, ThreadStats> {
  let buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let off = 0;
  const put = function* (s: string): Generator<Buffer> {
    if (off + s.length > buf.length) {
      if (off > 0) {
        g.stats.bytes += off;
        yield buf.subarray(0, off);
        buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, s.length));
        off = 0;
      } else buf = Buffer.allocUnsafe(s.length);
    }
    off += buf.write(s, off, 'latin1');
  };
  ++g.stats.parts;
  yield* put(g.header());
  let n = 0;
  for (; n < max && !g.done; ++n) {
    const m = (n === 0 ? '\n' : ',\n') + g.next();
    if (off + m.length <= buf.length) off += buf.write(m, off, 'latin1');
    else yield* put(m);
  }
  yield* put(g.closing(n === 0) + g.footer());
  g.stats.bytes += off;
  yield buf.subarray(0, off);
  return g.stats;
}

/** The thread as a byte stream (Buffers of ~64 KiB) and its stats, complete at 'end'. */
export function threadStream(options: ThreadOptions = {}): { stream: Readable; stats: ThreadStats } {
  const gen = generateThread(options);
  const stream = Readable.from(gen, { objectMode: false, highWaterMark: CHUNK_BYTES });
  return { stream, stats: gen.stats };
}

function writeAll(fd: number, b: Buffer): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}

/** Write the thread as one file. */
export function writeThreadFile(path: string, options: ThreadOptions = {}): ThreadStats {
  const fd = openSync(path, 'w');
  try {
    const gen = generateThread(options);
    for (const chunk of gen) writeAll(fd, chunk);
    return gen.stats;
  } finally {
    closeSync(fd);
  }
}

/**
 * Write the thread as Meta splits it: `dir/message_1.json` (the newest `perPart` messages),
 * `message_2.json`, …, the last part (the oldest messages) holding the rest. Every part repeats
 * the metadata. `size` counts every part.
 */
export function writeThreadParts(dir: string, options: ThreadOptions & { perPart?: number } = {}): ThreadStats {
  const perPart = options.perPart ?? DEFAULT_PER_PART;
  if (!Number.isInteger(perPart) || perPart < 1) throw new TypeError(`Invalid option perPart: must be an integer >= 1, got ${perPart}`);
  const g = new ThreadGenerator(options, planFor(options, perPart));
  mkdirSync(dir, { recursive: true });
  const parts = Math.max(1, Math.ceil(g.total / perPart));
  for (let part = 1; part <= parts; ++part) {
    const fd = openSync(join(dir, `message_${part}.json`), 'w');
    try {
      for (const chunk of chunksOf(g, perPart)) writeAll(fd, chunk);
    } finally {
      closeSync(fd);
    }
  }
  return g.stats;
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `Usage: node dist/bench/generate.js [--size 300MB | --messages N] [--seed N] [--out FILE | --parts DIR [--per-part 10000]]
       [--owner NAME] [--friend NAME] [--tie-rate P] [--newest-ms MS] [--text-seqs-fd FD]
Writes a realistic, deterministic Messenger thread (Meta's JSON, newest-first) to stdout, FILE, or
DIR/message_1.json..message_N.json. Stats go to stderr as JSON. --text-seqs-fd: at the end, write
stats.textSeqs (one byte per message, by seq: 0 not text, 1 owner's text, 2 friend's) to that open fd.`;

export async function main(argv: string[]): Promise<number> {
  const opts: ThreadOptions & { perPart?: number } = {};
  let out: string | null = null;
  let partsDir: string | null = null;
  let seqsFd: number | null = null;
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new TypeError(`${flag} needs a value`);
      return v;
    };
    const int = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n)) throw new TypeError(`${flag} must be an integer, got ${v}`);
      return n;
    };
    switch (flag) {
      case '--size': opts.size = parseSize(value()); break;
      case '--messages': opts.messages = int(value()); break;
      case '--seed': opts.seed = int(value()); break;
      case '--out': case '-o': out = value(); break;
      case '--parts': partsDir = value(); break;
      case '--per-part': opts.perPart = int(value()); break;
      case '--owner': opts.owner = value(); break;
      case '--friend': opts.friend = value(); break;
      case '--tie-rate': opts.tieRate = Number(value()); break;
      case '--newest-ms': opts.newestMs = int(value()); break;
      case '--text-seqs-fd': seqsFd = int(value()); opts.recordTextSeqs = true; break;
      case '--help': case '-h': process.stdout.write(USAGE + '\n'); return 0;
      default: throw new TypeError(`unknown argument ${a}\n${USAGE}`);
    }
  }
  let stats: ThreadStats;
  if (partsDir !== null) stats = writeThreadParts(partsDir, opts);
  else if (out !== null && out !== '-') stats = writeThreadFile(out, opts);
  else {
    const { stream, stats: s } = threadStream(opts);
    const { pipeline } = await import('node:stream/promises');
    try {
      await pipeline(stream, process.stdout, { end: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') return 0;
      throw err;
    }
    stats = s;
  }
  const { textSeqs, ...shown } = stats;
  process.stderr.write(JSON.stringify(shown) + '\n');
  if (seqsFd !== null && textSeqs) {
    const bytes = Buffer.from(textSeqs.buffer, textSeqs.byteOffset, textSeqs.byteLength);
    let off = 0;
    try {
      while (off < bytes.length) {
        try {
          off += writeSync(seqsFd, bytes, off, bytes.length - off);
        } catch (err) {
          // a non-blocking pipe that is full: wait for the reader
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    } finally {
      closeSync(seqsFd);
    }
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`generate: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
