/**
 * Chunker: sliding windows of `window` turns, `window - overlap` apart, per session.
 *
 * Policies (defaults first, LangChain's notebook second):
 * - a window with no assistant turn: skipped | kept if its session has one somewhere;
 * - trailing user turns of a window: trimmed, an example ends on the assistant's reply | kept;
 * - a window that, so trimmed, adds nothing to the previous one (ends inside it): skipped | n/a;
 * - a session shorter than the window: one example of the whole session | dropped;
 * - a tail not reached by the last full window: one more window, the last `window` turns | dropped.
 * Holds at most about 2 × window turns.
 */
import { OptionError, LimitError } from '../errors.js';
import { sameSegment, type ChatMessage, type Example, type RoleTurn, type ThreadInfo } from '../types.js';
import type { Stage } from './stage.js';
import { CONVERT_OPTIONS } from '../options.js';

export interface ChunkerOptions {
  /** Turns per window. Default 8. */
  window?: number;
  /** Turns shared by consecutive windows; 0 <= overlap < window. Default 2. */
  overlap?: number;
  /** `window`: every example needs an assistant turn (default); `session`: only its session (LangChain). */
  requireAssistant?: 'window' | 'session';
  /** Whether a session has an assistant turn, when known before its turns arrive (`session` mode). */
  sessionHasAssistant?: (thread: ThreadInfo, session: number) => boolean | undefined;
  /** End each example on an assistant turn. Default true. */
  trimTrailingUser?: boolean;
  /** A session shorter than the window: `keep` it as one example (default) or `drop` it. */
  short?: 'keep' | 'drop';
  /** Turns after the last full window: `cover` them with one more window (default) or `drop` them. */
  tail?: 'cover' | 'drop';
  /** A system message to start every example with. */
  system?: string;
  /** Turns held while waiting to learn whether a session has an assistant turn. Default 1,000,000. */
  maxHeldTurns?: number;
}

export type NormalizedChunkerOptions = Readonly<Required<Omit<ChunkerOptions, 'system' | 'sessionHasAssistant'>>> & {
  readonly system: string | undefined;
  readonly sessionHasAssistant: ChunkerOptions['sessionHasAssistant'];
};

export function normalizeChunkerOptions(options: ChunkerOptions = {}): NormalizedChunkerOptions {
  const window = options.window ?? CONVERT_OPTIONS.window.default;
  const overlap = options.overlap ?? CONVERT_OPTIONS.overlap.default;
  if (!Number.isInteger(window) || window < 1) throw new OptionError('window', `must be an integer >= 1`, window);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= window) {
    throw new OptionError('overlap', `must be an integer >= 0 and < window (${window})`, overlap);
  }
  const maxHeldTurns = options.maxHeldTurns ?? 1_000_000;
  return Object.freeze({
    window,
    overlap,
    requireAssistant: options.requireAssistant ?? 'window',
    sessionHasAssistant: options.sessionHasAssistant,
    trimTrailingUser: options.trimTrailingUser ?? true,
    short: options.short ?? 'keep',
    tail: options.tail ?? 'cover',
    system: options.system,
    maxHeldTurns,
  });
}

/**
 * Turns no window needs any more, dropped together. Often, so that passed turns do not live
 * through young-generation collections and get promoted (docs/performance.md).
 */
const COMPACT_AFTER = 64;

export function createChunker(options?: ChunkerOptions): Stage<RoleTurn[], Example> {
  return new Chunker(normalizeChunkerOptions(options));
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class Chunker implements Stage<RoleTurn[], Example> {
  readonly #o: NormalizedChunkerOptions;
  readonly #step: number;
  // the current session: turns from absolute index `base` on, `count` seen so far
  #turns: RoleTurn[] = [];
  #base = 0;
  #count = 0;
  #nextStart = 0;
  #lastWindowEnd = 0;
  #emittedEnd = 0;
  /** `session` mode: true/false once known; undefined while turns are held to find out. */
  #gate: boolean | undefined = true;
  #out: Example[] = [];
  #current: RoleTurn | null = null;

  constructor(o: NormalizedChunkerOptions) {
    this.#o = o;
    this.#step = o.window - o.overlap;
  }

  push(batch: RoleTurn[]): Example[] {
    this.#out = [];
    for (const t of batch) {
      if (this.#current === null || !sameSegment(this.#current, t)) {
        if (this.#current) this.#endSession();
        this.#reset(t);
      }
      this.#current = t;
      this.#add(t);
    }
    return this.#out;
  }

  flush(): Example[] {
    this.#out = [];
    if (this.#current) this.#endSession();
    this.#current = null;
    this.#reset(null);
    return this.#out;
  }

  #at(i: number): RoleTurn {
    return this.#turns[i - this.#base]!;
  }

  #reset(first: RoleTurn | null): void {
    this.#turns = [];
    this.#base = this.#count = this.#nextStart = this.#lastWindowEnd = this.#emittedEnd = 0;
    this.#gate = true;
    if (first && this.#o.requireAssistant === 'session') this.#gate = this.#o.sessionHasAssistant?.(first.thread, first.session);
  }

  #emit(start: number, end: number): void {
    const o = this.#o;
    this.#lastWindowEnd = end;
    if (o.trimTrailingUser) while (end > start && this.#at(end - 1).role !== 'assistant') --end;
    if (end <= start) return;
    if (o.requireAssistant === 'window') {
      let any = false;
      for (let i = start; i < end && !any; ++i) any = this.#at(i).role === 'assistant';
      if (!any) return;
      // contained in the previous example: nothing new to learn
      if (end <= this.#emittedEnd) return;
    }
    this.#emittedEnd = end;
    const messages: ChatMessage[] = [];
    if (o.system !== undefined) messages.push({ role: 'system', content: o.system });
    for (let i = start; i < end; ++i) {
      const t = this.#at(i);
      messages.push(t.name === undefined ? { role: t.role, content: t.text } : { role: t.role, content: t.text, name: t.name });
    }
    const first = this.#at(start);
    this.#out.push({ thread: first.thread, messages, meta: { session: first.session, firstTimestampMs: first.firstTimestampMs, lastTimestampMs: this.#at(end - 1).lastTimestampMs } });
  }

  /**
   * Drop turns no later window (nor the tail window) can need, once there are COMPACT_AFTER of
   * them: what is kept (about a window) is copied, so this costs little, and turns do not outlive
   * their windows by much (see COMPACT_AFTER).
   */
  #compact(): void {
    const keepFrom = Math.min(this.#nextStart, this.#count - this.#o.window);
    if (keepFrom - this.#base >= COMPACT_AFTER && keepFrom - this.#base > this.#turns.length / 2) {
      this.#turns = this.#turns.slice(keepFrom - this.#base);
      this.#base = keepFrom;
    }
  }

  #add(t: RoleTurn): void {
    if (this.#gate === false) return;
    this.#turns.push(t);
    ++this.#count;
    if (this.#gate === undefined) {
      if (t.role === 'assistant') this.#gate = true;
      else {
        if (this.#count > this.#o.maxHeldTurns) throw new LimitError(`more than ${this.#o.maxHeldTurns} turns before the first assistant turn of a session`, { source: t.thread.source });
        return;
      }
    }
    while (this.#count - this.#nextStart >= this.#o.window) {
      this.#emit(this.#nextStart, this.#nextStart + this.#o.window);
      this.#nextStart += this.#step;
    }
    this.#compact();
  }

  #endSession(): void {
    const o = this.#o;
    if (this.#gate !== true || this.#count === 0) return;
    if (this.#count < o.window) {
      if (o.short === 'keep') this.#emit(0, this.#count);
    } else if (o.tail === 'cover' && this.#lastWindowEnd < this.#count) {
      this.#emit(this.#count - o.window, this.#count);
    }
  }
}
