/**
 * Sessions: split a thread where the silence between two messages exceeds a gap. A session is the
 * unit later stages reset on (a change of `session` is a boundary like a change of thread).
 * Needs chronological input (after the order stage).
 */
import type { Message, ThreadInfo } from '../types.js';
import type { Stage } from './stage.js';
import { OptionError } from '../errors.js';

export interface SessionsOptions {
  /** Silence, in ms, that starts a new session. */
  gapMs: number;
}

export function normalizeSessionsOptions(options: SessionsOptions): Readonly<SessionsOptions> {
  if (!Number.isFinite(options.gapMs) || options.gapMs <= 0) {
    throw new OptionError('gapMs', `must be a number > 0`, options.gapMs);
  }
  return Object.freeze({ gapMs: options.gapMs });
}

export function createSessions(options: SessionsOptions): Stage<Message[], Message> {
  return new Sessions(normalizeSessionsOptions(options).gapMs);
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class Sessions implements Stage<Message[], Message> {
  #thread: ThreadInfo | null = null;
  #session = 0;
  #lastTs = 0;
  constructor(readonly gapMs: number) {}

  push(batch: Message[]): Message[] {
    for (const m of batch) {
      if (m.thread !== this.#thread) {
        this.#thread = m.thread;
        this.#session = 0;
      } else if (m.timestampMs - this.#lastTs > this.gapMs) {
        ++this.#session;
      }
      this.#lastTs = m.timestampMs;
      m.session = this.#session;
    }
    return batch;
  }

  flush(): Message[] {
    return [];
  }
}
