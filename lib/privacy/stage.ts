/**
 * Privacy stage: rewrites each message's `text` and `sender`. Redaction runs first, so that an
 * address holding a name (ada.lovelace@example.com) goes whole as `[email]`; then participants'
 * names become pseudonyms, in text and as senders. The names come from the thread's participants
 * and the senders the order stage counted, so that someone who left a group is covered too.
 */
import type { Report } from '../report.js';
import type { Message, ThreadInfo } from '../types.js';
import type { Stage } from '../core/stage.js';
import { createRedactor, PII_KINDS, type Redactor, type RedactorOptions } from './redact.js';
import { createPseudonymizer, type Pseudonymizer } from './pseudonymize.js';

export interface PrivacyOptions {
  /** Replace emails, phone numbers, URLs and card numbers in text. Default: nothing redacted. */
  redact?: RedactorOptions;
  /** Replace participants' names by pseudonyms. Default: names kept. */
  pseudonymize?: { salt: string; keep?: readonly string[] };
  /** Counts `redacted: <kind>` replacements. */
  report?: Report;
}

export function createPrivacyStage(options: PrivacyOptions = {}): Stage<Message[], Message> {
  const redactor = options.redact ? createRedactor(options.redact) : null;
  // checked now, with no names, so that a bad salt fails before the first message
  if (options.pseudonymize) createPseudonymizer({ ...options.pseudonymize, names: [] });
  return new PrivacyStage(redactor, options.pseudonymize ?? null, options.report);
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class PrivacyStage implements Stage<Message[], Message> {
  #thread: ThreadInfo | null = null;
  #names: Pseudonymizer | null = null;

  constructor(
    readonly redactor: Redactor | null,
    readonly pseudonyms: { salt: string; keep?: readonly string[] } | null,
    readonly report: Report | undefined,
  ) {}

  push(batch: Message[]): Message[] {
    for (const m of batch) this.#rewrite(m);
    return batch;
  }

  flush(): Message[] {
    return [];
  }

  #rewrite(m: Message): void {
    if (this.redactor && m.text !== null) {
      const { text, counts } = this.redactor.redact(m.text);
      if (text !== m.text) {
        m.text = text;
        for (const kind of PII_KINDS) if (counts[kind] > 0) this.report?.note(`redacted: ${kind}`, undefined, counts[kind]);
      }
    }
    if (this.pseudonyms) {
      const names = this.#pseudonymizerFor(m.thread, this.pseudonyms);
      m.sender = names.sender(m.sender);
      if (m.text !== null) m.text = names.text(m.text);
    }
  }

  #pseudonymizerFor(thread: ThreadInfo, pseudonyms: { salt: string; keep?: readonly string[] }): Pseudonymizer {
    if (thread !== this.#thread || this.#names === null) {
      const names = new Set(thread.participants);
      if (thread.senderCounts) for (const sender of thread.senderCounts.keys()) names.add(sender);
      this.#names = createPseudonymizer({ ...pseudonyms, names: [...names] });
      this.#thread = thread;
    }
    return this.#names;
  }
}
