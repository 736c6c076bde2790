/**
 * Reply windows: the default chunker policy. Each of `me`'s replies is taught once, with its
 * prompt, inside one real conversation (a session):
 * - an example opens on a user turn (after the optional system message) and ends on a reply;
 * - a reply with no user turn before it in its session is never trained (it has no prompt);
 * - consecutive windows share up to `overlap` turns of context; a reply repeated as context
 *   carries `weight: 0` (with `weights`), or, for formats without weights, windows never repeat a
 *   reply (their context is user turns only);
 * - a window holds at most `window` turns and, with `maxTokens`, at most that many tokens (the
 *   cookbook's count: 3 per message, its strings, 1 more with a name, 3 per example), or with
 *   `windowTokens` is packed by tokens instead of turns; a turn too long for any example is cut at
 *   a paragraph or sentence boundary, and counted.
 * Tokens are counted only when a window's byte count (a bound: every token is at least one byte)
 * could pass a limit, and each turn once.
 */
import { OptionError } from '../errors.js';
import type { Report } from '../report.js';
import { CONVERT_OPTIONS } from '../options.js';
import type { Counts } from '../stats.js';
import { sameSegment, type ChatMessage, type Example, type RoleTurn } from '../types.js';
import type { Stage } from './stage.js';

export interface ReplyWindowsOptions {
  /** Turns per example at most. Default 8. */
  window?: number;
  /** Turns of context carried into the next example. Default 2. */
  overlap?: number;
  /** The format has per-message weights: repeated replies go as `weight: 0`. Default true. */
  weights?: boolean;
  system?: string;
  /** Tokens per example at most (the trainer's limit). Default: none. */
  maxTokens?: number;
  /** Pack turns up to this many tokens per example instead of `window` turns. Default: by turns. */
  windowTokens?: number;
  /** Tokens of a string. Needed with `maxTokens` or `windowTokens`. */
  countTokens?: (text: string) => number;
  /** Put each turn's sender and first time on its message (the `text` format writes them). */
  stamps?: boolean;
  /** Counts conversations, trained and context replies (and with `countAll`, the examples' tokens). */
  counts?: Counts;
  /** Count every example's tokens into `counts.tokens` (`--stats`; costs a tokenizer pass). */
  countAll?: boolean;
  report?: Report;
}

/** A turn and its tokens as a message (counted at most once). */
type Held = RoleTurn & { tokens?: number; bytes?: number };

const PER_MESSAGE = 3;
const PER_EXAMPLE = 3;
/** Turns dropped from the front of a session's buffer together (see the chunker's COMPACT_AFTER). */
const COMPACT_AFTER = 64;

export const REPLY_REASONS = {
  noPrompt: 'replies not trained: no user turn before them in their conversation',
  unreached: 'replies not trained: their prompt is further back than a window holds, or was taught already (a format without weights)',
  cut: 'turns cut to fit the token limit',
} as const;

interface Normalized {
  window: number;
  overlap: number;
  weights: boolean;
  system: string | undefined;
  limit: number;
  packBy: 'turns' | 'tokens';
  countTokens: ((text: string) => number) | undefined;
  stamps: boolean;
  counts: Counts | undefined;
  countAll: boolean;
  report: Report | undefined;
}

function normalize(o: ReplyWindowsOptions): Normalized {
  const window = o.window ?? CONVERT_OPTIONS.window.default;
  const overlap = o.overlap ?? CONVERT_OPTIONS.overlap.default;
  if (!Number.isInteger(window) || window < 2) throw new OptionError('--window', 'must be an integer >= 2 (a prompt and its reply)', window);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= window) throw new OptionError('--overlap', `must be an integer >= 0 and < --window (${window})`, overlap);
  const limit = Math.min(o.maxTokens ?? Infinity, o.windowTokens ?? Infinity);
  if (limit !== Infinity && !(o.countTokens && Number.isInteger(limit) && limit >= 64)) {
    throw new OptionError('--max-tokens', 'must be an integer >= 64, with a way to count tokens', limit);
  }
  return {
    window: o.windowTokens !== undefined ? Infinity : window,
    overlap,
    weights: o.weights ?? true,
    system: o.system,
    limit,
    packBy: o.windowTokens !== undefined ? 'tokens' : 'turns',
    countTokens: o.countTokens,
    stamps: o.stamps ?? false,
    counts: o.counts,
    countAll: (o.countAll ?? false) && o.countTokens !== undefined && o.counts !== undefined,
    report: o.report,
  };
}

export function createReplyWindows(options: ReplyWindowsOptions = {}): Stage<RoleTurn[], Example> {
  return new ReplyWindows(normalize(options));
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class ReplyWindows implements Stage<RoleTurn[], Example> {
  readonly #o: Normalized;
  readonly #fixed: number;
  // the current session: turns from absolute index `base` on, `count` seen so far
  #turns: Held[] = [];
  #base = 0;
  #count = 0;
  /** The open window's first turn (a user turn), or -1 while waiting for one. */
  #start = -1;
  /** Replies before this index were trained already (they are context from here on). */
  #trained = 0;
  /** Bytes (a token bound) and tokens of the open window's turns, as far as known (with a limit only). */
  #windowBytes = 0;
  /** A turn whose 3-bytes-a-char bound is at most this is not measured (see #bound). */
  readonly #looseMax: number;
  /** Replies of the session with a prompt before them, and those taught so far. */
  #replies = 0;
  #taught = 0;
  #current: RoleTurn | null = null;
  #out: Example[] = [];

  constructor(o: Normalized) {
    this.#o = o;
    this.#fixed = PER_EXAMPLE + (o.system === undefined ? 0 : this.#messageCost(o.system, 'system', undefined));
    this.#looseMax = (o.limit - this.#fixed) / o.window;
  }

  push(batch: RoleTurn[]): Example[] {
    this.#out = [];
    for (const t of batch) {
      if (this.#current === null || !sameSegment(this.#current, t)) {
        if (this.#current) this.#endSession();
        this.#reset();
        if (this.#o.counts) this.#o.counts['conversations'] = (this.#o.counts['conversations'] ?? 0) + 1;
      }
      this.#current = t;
      this.#add(t as Held);
    }
    return this.#out;
  }

  flush(): Example[] {
    this.#out = [];
    if (this.#current) this.#endSession();
    this.#current = null;
    this.#reset();
    return this.#out;
  }

  #reset(): void {
    this.#turns = [];
    this.#base = this.#count = this.#trained = this.#windowBytes = this.#replies = this.#taught = 0;
    this.#start = -1;
  }

  #at(i: number): Held {
    return this.#turns[i - this.#base]!;
  }

  #add(t: Held): void {
    const o = this.#o;
    if (t.role !== 'user') {
      const prompt = this.#lastUserBefore(this.#count);
      if (prompt === -1) {
        o.report?.note(REPLY_REASONS.noPrompt); // no user turn before it in its session
        return;
      }
      ++this.#replies;
      // a reply after a window closed: its prompt's window reopens (earlier replies as context)
      if (this.#start === -1 && this.#count + 1 - prompt <= o.window && (o.weights || this.#trained <= prompt)) {
        this.#open(prompt);
      }
    }
    if (o.limit !== Infinity) this.#fit(t);
    this.#turns.push(t);
    ++this.#count;
    if (this.#start === -1 && t.role === 'user') {
      this.#start = this.#count - 1;
      this.#windowBytes = 0;
    }
    if (this.#start !== -1 && o.limit !== Infinity) this.#windowBytes += this.#bound(t);
    while (this.#start !== -1 && this.#full()) this.#close(false);
    this.#compact();
  }

  /** The open window cannot take another turn. */
  #full(): boolean {
    const o = this.#o;
    if (this.#count - this.#start > o.window) return true;
    if (o.limit === Infinity || this.#fixed + this.#windowBytes <= o.limit) return false;
    return this.#fixed + this.#tokensOf(this.#start, this.#count) > o.limit;
  }

  /**
   * The end (at most `end`, at least `start + 1`) of the longest run from `start` that fits the
   * limit as an example: one pass, tokens counted only when the turns' bytes could pass it.
   */
  #fittingEnd(start: number, end: number): number {
    const limit = this.#o.limit - this.#fixed;
    if (limit === Infinity || this.#bytesOf(start, end) <= limit) return end;
    let tokens = this.#cost(this.#at(start));
    let fits = start + 1;
    while (fits < end && (tokens += this.#cost(this.#at(fits))) <= limit) ++fits;
    return fits;
  }

  /**
   * Emit the open window: the longest run from its start that fits (turns and tokens) and ends on
   * a reply not trained yet; then open the next one on a user turn within the last `overlap` turns.
   */
  #close(atEnd: boolean): void {
    const o = this.#o;
    const start = this.#start;
    const end = this.#fittingEnd(start, Math.min(this.#count, start + o.window));
    let last = end - 1;
    while (last >= start && (this.#at(last).role === 'user' || last < this.#trained)) --last;
    if (last < start) {
      // nothing new to teach from here: slide to the next user turn (or, at the end, stop)
      this.#open(atEnd ? -1 : this.#nextUser(start + 1, this.#count));
      return;
    }
    this.#emit(start, last + 1);
    this.#trained = last + 1;
    if (atEnd) return this.#open(-1);
    const from = o.weights ? Math.max(start + 1, last + 1 - o.overlap) : last + 1;
    const next = this.#nextUser(from, this.#count);
    // replies right after the window (a run of them) reopen their prompt's window, as context
    const reply = this.#firstReply(this.#trained, next === -1 ? this.#count : next);
    const prompt = reply === -1 ? -1 : this.#lastUserBefore(reply);
    this.#open(o.weights && prompt > start && reply - prompt < o.window ? prompt : next);
  }

  #open(start: number): void {
    this.#start = start;
    this.#windowBytes = start === -1 || this.#o.limit === Infinity ? 0 : this.#bytesOf(start, this.#count);
  }

  #emit(start: number, end: number): void {
    const o = this.#o;
    // the list made at its size, each message whole at once (a `weight` added later cost a property store)
    const lead = o.system === undefined ? 0 : 1;
    const messages: ChatMessage[] = new Array(lead + end - start);
    if (lead) messages[0] = { role: 'system', content: o.system! };
    for (let i = start; i < end; ++i) {
      const t = this.#at(i);
      const context = t.role === 'assistant' && i < this.#trained;
      if (t.role === 'assistant' && !context) ++this.#taught;
      let m: ChatMessage;
      if (o.stamps) {
        m = t.name === undefined ? { role: t.role, content: t.text } : { role: t.role, content: t.text, name: t.name };
        m.sender = t.sender;
        m.timestampMs = t.firstTimestampMs;
        if (context) m.weight = 0;
      } else if (t.name === undefined) m = context ? { role: t.role, content: t.text, weight: 0 } : { role: t.role, content: t.text };
      else m = context ? { role: t.role, content: t.text, name: t.name, weight: 0 } : { role: t.role, content: t.text, name: t.name };
      messages[lead + i - start] = m;
    }
    const counts = o.counts;
    if (counts) {
      let context = 0;
      let replies = 0;
      for (const m of messages) {
        if (m.weight === 0) ++context;
        if (m.role === 'assistant') ++replies;
      }
      counts['contextReplies'] = (counts['contextReplies'] ?? 0) + context;
      counts['trainedReplies'] = (counts['trainedReplies'] ?? 0) + replies - context;
      if (o.countAll) counts['tokens'] = (counts['tokens'] ?? 0) + this.#fixed + this.#tokensOf(start, end);
    }
    const first = this.#at(start);
    this.#out.push({ thread: first.thread, messages, meta: { session: first.session, firstTimestampMs: first.firstTimestampMs, lastTimestampMs: this.#at(end - 1).lastTimestampMs } });
  }

  #endSession(): void {
    while (this.#start !== -1 && this.#start < this.#count) this.#close(true);
    // replies whose prompt no window could hold with them (too far back, or taught already)
    const left = this.#replies - this.#taught;
    if (left > 0) this.#o.report?.note(REPLY_REASONS.unreached, undefined, left);
  }

  /** A turn longer than half of what an example may hold (so that a prompt and a reply always fit) is cut. */
  #fit(t: Held): void {
    const o = this.#o;
    const room = Math.floor((o.limit - this.#fixed) / 2);
    if (this.#bound(t) <= room) return;
    if (this.#cost(t) <= room) return;
    const overhead = this.#cost(t) - o.countTokens!(t.text);
    t.text = cutToFit(t.text, room - overhead, o.countTokens!);
    t.tokens = overhead + o.countTokens!(t.text);
    t.bytes = undefined;
    o.report?.note(REPLY_REASONS.cut, { source: t.thread.source });
  }

  #lastUserBefore(end: number): number {
    for (let i = end - 1; i >= this.#base; --i) if (this.#at(i).role === 'user') return i;
    return -1;
  }

  #firstReply(from: number, end: number): number {
    for (let i = Math.max(from, this.#base); i < end; ++i) if (this.#at(i).role !== 'user') return i;
    return -1;
  }

  #nextUser(from: number, end: number): number {
    for (let i = Math.max(from, this.#base); i < end; ++i) if (this.#at(i).role === 'user') return i;
    return -1;
  }

  /** Drop turns no window can need: before the open window and the last user turn before it. */
  #compact(): void {
    const keep = this.#start === -1 ? Math.max(this.#lastUserBefore(this.#count), this.#count - 1) : Math.min(this.#start, this.#lastUserBefore(this.#start + 1));
    const from = Math.max(this.#base, keep);
    if (from - this.#base >= COMPACT_AFTER && from - this.#base > this.#turns.length / 2) {
      this.#turns = this.#turns.slice(from - this.#base);
      this.#base = from;
    }
  }

  #bytesOf(start: number, end: number): number {
    let n = 0;
    for (let i = start; i < end; ++i) n += this.#bound(this.#at(i));
    return n;
  }

  #tokensOf(start: number, end: number): number {
    let n = 0;
    for (let i = start; i < end; ++i) n += this.#cost(this.#at(i));
    return n;
  }

  /**
   * An upper bound of a turn's tokens as a message, without tokenizing: its UTF-8 bytes, or 3 bytes
   * a UTF-16 unit (never less) when even that is a window's share of the limit, so cannot decide
   * anything alone: measuring every turn's bytes cost a pass over all the text.
   */
  #bound(t: Held): number {
    if (t.tokens !== undefined) return t.tokens;
    if (t.bytes !== undefined) return t.bytes;
    const fixed = PER_MESSAGE + t.role.length + (t.name === undefined ? 0 : 1 + t.name.length);
    const loose = fixed + 3 * t.text.length;
    return (t.bytes = loose <= this.#looseMax ? loose : fixed + Buffer.byteLength(t.text));
  }

  /** A turn's tokens as a message, counted once. */
  #cost(t: Held): number {
    return (t.tokens ??= this.#messageCost(t.text, t.role, t.name));
  }

  /** The cookbook's count for one message (names and roles are ASCII: a byte count bounds them). */
  #messageCost(content: string, role: string, name: string | undefined): number {
    const count = this.#o.countTokens ?? ((s: string) => Buffer.byteLength(s));
    return PER_MESSAGE + count(role) + count(content) + (name === undefined ? 0 : 1 + count(name));
  }
}

/** `text` cut at the last paragraph, then sentence, then word boundary within `tokens` (else anywhere). */
export function cutToFit(text: string, tokens: number, count: (s: string) => number): string {
  if (tokens <= 0) return '';
  if (count(text) <= tokens) return text;
  // binary search on characters for the longest prefix that fits, then back off to a boundary
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (count(text.slice(0, mid)) <= tokens) lo = mid;
    else hi = mid - 1;
  }
  const prefix = text.slice(0, lo);
  for (const boundary of [/\n\s*\n(?![\s\S]*\n\s*\n)/, /[.!?…。！？](?=\s)(?![\s\S]*[.!?…。！？]\s)/, /\s(?![\s\S]*\s)/]) {
    const m = boundary.exec(prefix);
    if (m && m.index >= prefix.length / 4) return prefix.slice(0, m.index + (m[0].trim() ? 1 : 0)).trimEnd();
  }
  // never split a surrogate pair
  return /[\ud800-\udbff]$/.test(prefix) ? prefix.slice(0, -1) : prefix;
}
