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
  const { gapMs } = normalizeSessionsOptions(options);
  let thread: ThreadInfo | null = null;
  let session = 0;
  let lastTs = 0;
  return {
    push(batch) {
      for (const m of batch) {
        if (m.thread !== thread) {
          thread = m.thread;
          session = 0;
        } else if (m.timestampMs - lastTs > gapMs) {
          ++session;
        }
        lastTs = m.timestampMs;
        m.session = session;
      }
      return batch;
    },
    flush: () => [],
  };
}
