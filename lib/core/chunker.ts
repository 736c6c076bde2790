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
  const window = options.window ?? 8;
  const overlap = options.overlap ?? 2;
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

export function createChunker(options?: ChunkerOptions): Stage<RoleTurn[], Example> {
  const o = normalizeChunkerOptions(options);
  const step = o.window - o.overlap;

  // the current session: turns from absolute index `base` on, `count` seen so far
  let turns: RoleTurn[] = [];
  let base = 0;
  let count = 0;
  let nextStart = 0;
  let lastWindowEnd = 0;
  let emittedEnd = 0;
  /** `session` mode: true/false once known; undefined while turns are held to find out. */
  let gate: boolean | undefined = true;
  let out: Example[] = [];

  const at = (i: number) => turns[i - base]!;

  function reset(first: RoleTurn | null): void {
    turns = [];
    base = count = nextStart = lastWindowEnd = emittedEnd = 0;
    gate = true;
    if (first && o.requireAssistant === 'session') gate = o.sessionHasAssistant?.(first.thread, first.session);
  }

  function emit(start: number, end: number): void {
    lastWindowEnd = end;
    if (o.trimTrailingUser) while (end > start && at(end - 1).role !== 'assistant') --end;
    if (end <= start) return;
    if (o.requireAssistant === 'window') {
      let any = false;
      for (let i = start; i < end && !any; ++i) any = at(i).role === 'assistant';
      if (!any) return;
      // contained in the previous example: nothing new to learn
      if (end <= emittedEnd) return;
    }
    emittedEnd = end;
    const messages: ChatMessage[] = [];
    if (o.system !== undefined) messages.push({ role: 'system', content: o.system });
    for (let i = start; i < end; ++i) {
      const t = at(i);
      messages.push(t.name === undefined ? { role: t.role, content: t.text } : { role: t.role, content: t.text, name: t.name });
    }
    const first = at(start);
    out.push({ thread: first.thread, messages, meta: { session: first.session, firstTimestampMs: first.firstTimestampMs, lastTimestampMs: at(end - 1).lastTimestampMs } });
  }

  /** Drop turns no later window (nor the tail window) can need. */
  function compact(): void {
    const keepFrom = Math.min(nextStart, count - o.window);
    if (keepFrom - base > 1024 && keepFrom - base > turns.length / 2) {
      turns = turns.slice(keepFrom - base);
      base = keepFrom;
    }
  }

  function add(t: RoleTurn): void {
    if (gate === false) return;
    turns.push(t);
    ++count;
    if (gate === undefined) {
      if (t.role === 'assistant') gate = true;
      else {
        if (count > o.maxHeldTurns) throw new LimitError(`more than ${o.maxHeldTurns} turns before the first assistant turn of a session`, { source: t.thread.source });
        return;
      }
    }
    while (count - nextStart >= o.window) {
      emit(nextStart, nextStart + o.window);
      nextStart += step;
    }
    compact();
  }

  function endSession(): void {
    if (gate !== true || count === 0) return;
    if (count < o.window) {
      if (o.short === 'keep') emit(0, count);
    } else if (o.tail === 'cover' && lastWindowEnd < count) {
      emit(count - o.window, count);
    }
  }

  let current: RoleTurn | null = null;
  return {
    push(batch) {
      out = [];
      for (const t of batch) {
        if (current === null || !sameSegment(current, t)) {
          if (current) endSession();
          reset(t);
        }
        current = t;
        add(t);
      }
      return out;
    },
    flush() {
      out = [];
      if (current) endSession();
      current = null;
      reset(null);
      return out;
    },
  };
}
