/**
 * Filter: which messages become training text. Defaults keep what a person wrote (text, shares and
 * captioned media with non-blank text) and leave out calls, unsent messages, system notices and
 * reaction notices. A media message whose only text is Meta's own notice ("Ada sent an
 * attachment.") has no caption: it is left out like uncaptioned media. The langchain preset keeps
 * every message that has a `content` key.
 */
import type { Report } from '../report.js';
import type { Message, MessageKind, ThreadInfo } from '../types.js';
import type { Stage } from './stage.js';
import { OptionError } from '../errors.js';
import { ALL_KINDS, DEFAULT_KINDS } from '../options.js';
import { classifyNotice } from '../formats/notices.js';


export interface FilterOptions {
  /** Kinds kept. Default text, share, media. */
  kinds?: readonly MessageKind[];
  /** `nonblank`: text must have a non-space character (default); `present`: any text, even "". */
  text?: 'nonblank' | 'present';
  /** Keep messages at or after this time (ms since epoch). */
  sinceMs?: number;
  /** Keep messages before this time (ms since epoch). */
  untilMs?: number;
  report?: Report;
  /** Called with each thread as its first message arrives, kept or not (who is in the data). */
  onThread?: (thread: ThreadInfo) => void;
  /** Counts every message by kind, kept or not (`--stats`). */
  kindCounts?: Record<MessageKind, number>;
}

export interface NormalizedFilterOptions {
  readonly kinds: ReadonlySet<MessageKind>;
  readonly text: 'nonblank' | 'present';
  readonly sinceMs: number;
  readonly untilMs: number;
  readonly report: Report | undefined;
  readonly onThread: ((thread: ThreadInfo) => void) | undefined;
  readonly kindCounts: Record<MessageKind, number> | undefined;
}

export function normalizeFilterOptions(options: FilterOptions = {}): NormalizedFilterOptions {
  const kinds = options.kinds ?? DEFAULT_KINDS;
  for (const k of kinds) {
    if (!ALL_KINDS.includes(k)) throw new OptionError('kinds', `each must be one of ${ALL_KINDS.join(', ')}`, k);
  }
  const text = options.text ?? 'nonblank';
  if (text !== 'nonblank' && text !== 'present') throw new OptionError('text', `must be "nonblank" or "present"`, text);
  // a NaN bound compares false with every time: it would leave out every message, silently
  const sinceMs = options.sinceMs ?? -Infinity;
  const untilMs = options.untilMs ?? Infinity;
  if (typeof sinceMs !== 'number' || Number.isNaN(sinceMs)) throw new OptionError('sinceMs', 'must be a time in ms', sinceMs);
  if (typeof untilMs !== 'number' || Number.isNaN(untilMs)) throw new OptionError('untilMs', 'must be a time in ms', untilMs);
  if (sinceMs >= untilMs) throw new OptionError('untilMs', `must be after sinceMs (${sinceMs}): the range keeps nothing`, untilMs);
  return Object.freeze({
    kinds: new Set(kinds),
    text,
    sinceMs,
    untilMs,
    report: options.report,
    onThread: options.onThread,
    kindCounts: options.kindCounts,
  });
}

const NON_SPACE = /\S/;
/** The report's reason for each kind left out: made once, not a new string a message. */
const LEFT_OUT = Object.fromEntries(ALL_KINDS.map((k) => [k, `left out: ${k} messages`])) as Record<MessageKind, string>;

export function createFilter(options?: FilterOptions): Stage<Message[], Message> {
  return new Filter(normalizeFilterOptions(options));
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class Filter implements Stage<Message[], Message> {
  #lastThread: ThreadInfo | null = null;
  constructor(readonly options: ReturnType<typeof normalizeFilterOptions>) {}

  push(batch: Message[]): Message[] {
    const { onThread, kindCounts } = this.options;
    const out: Message[] = [];
    for (const m of batch) {
      if (onThread && m.thread !== this.#lastThread) {
        this.#lastThread = m.thread;
        onThread(m.thread);
      }
      if (kindCounts) ++kindCounts[m.kind];
      if (this.#keep(m)) out.push(m);
    }
    return out;
  }

  flush(): Message[] {
    return [];
  }

  #keep(m: Message): boolean {
    const { kinds, text, sinceMs, untilMs, report } = this.options;
    if (m.text === null) return false;
    if (!kinds.has(m.kind)) {
      report?.note(LEFT_OUT[m.kind] ?? `left out: ${m.kind} messages`);
      return false;
    }
    if (text === 'nonblank' && !NON_SPACE.test(m.text)) return false;
    if (text === 'nonblank' && m.kind === 'media' && classifyNotice(m.text) === 'notice') {
      report?.note('left out: media messages whose text is a notice, not a caption');
      return false;
    }
    if (m.timestampMs >= sinceMs && m.timestampMs < untilMs) return true;
    // said, so that a range that keeps nothing explains an empty output
    report?.note('left out: messages outside the date range (since/until)');
    return false;
  }
}
