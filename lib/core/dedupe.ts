/**
 * Dedupe: a message that appears twice in a thread — two exports of different dates whose parts
 * overlap, the same part in two zip parts — is emitted once. After the order stage, copies have the
 * same timestamp and so sit together: only the messages of the current millisecond are remembered.
 *
 * Notices and reaction notices (kinds `notice`, `reaction`) are Meta's words, not the sender's, and
 * Instagram writes some twice: the same notice in two languages ("Liked a message" and "A aimé un
 * message"), or "You sent an attachment." twice with different media. One sender's notices of one
 * kind in one millisecond are therefore one, whatever their text. Everything a person wrote (text,
 * shares, media, …) keeps the full key: two different messages in one millisecond both stay.
 */
import type { Report } from '../report.js';
import type { Message, ThreadInfo } from '../types.js';
import type { Stage } from './stage.js';

export interface DedupeOptions {
  report?: Report;
}

/** What makes two messages the same one. */
function keyOf(m: Message): string {
  if (m.kind === 'notice' || m.kind === 'reaction') return `${m.sender}\u0000${m.kind}`;
  return `${m.sender}\u0000${m.kind}\u0000${m.text ?? '\u0001'}\u0000${m.attachments?.map((a) => a.uri).join('\u0000') ?? ''}`;
}

export function createDedupe(options: DedupeOptions = {}): Stage<Message[], Message> {
  return new Dedupe(options);
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class Dedupe implements Stage<Message[], Message> {
  #thread: ThreadInfo | null = null;
  #ts = NaN;
  // Most milliseconds hold one message: its key is made only when a second one arrives.
  #first: Message | null = null;
  #seen: Set<string> | null = null;
  constructor(readonly options: DedupeOptions) {}

  /** The batch itself when nothing in it is a copy (nearly always): a new list only past the first copy. */
  push(batch: Message[]): Message[] {
    let out: Message[] | null = null;
    for (let i = 0; i < batch.length; ++i) {
      const m = batch[i]!;
      if (m.thread !== this.#thread || m.timestampMs !== this.#ts) {
        this.#thread = m.thread;
        this.#ts = m.timestampMs;
        this.#first = m;
        this.#seen = null;
        out?.push(m);
        continue;
      }
      const seen = (this.#seen ??= new Set([keyOf(this.#first!)]));
      const key = keyOf(m);
      if (seen.has(key)) {
        this.options.report?.note('duplicate messages left out');
        out ??= batch.slice(0, i);
        continue;
      }
      seen.add(key);
      out?.push(m);
    }
    return out ?? batch;
  }

  flush(): Message[] {
    return [];
  }
}
