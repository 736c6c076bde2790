/**
 * What a run skipped or repaired, and why: the stages count here, the CLI prints the summary.
 * Bounded: counts per reason plus the first few places for each.
 */
import { describePosition, type Position } from './errors.js';

export const SAMPLES_PER_REASON = 3;

export class Report {
  readonly counts = new Map<string, number>();
  readonly samples = new Map<string, string[]>();

  /** Count one occurrence of `reason`; remember where for the first few. */
  note(reason: string, position?: Position, n = 1): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + n);
    if (!position) return;
    let list = this.samples.get(reason);
    if (!list) this.samples.set(reason, (list = []));
    if (list.length < SAMPLES_PER_REASON) list.push(describePosition(position));
  }

  /** Add another report's counts and first places to this one's. */
  merge(other: Report): void {
    for (const [reason, n] of other.counts) this.counts.set(reason, (this.counts.get(reason) ?? 0) + n);
    for (const [reason, where] of other.samples) {
      let list = this.samples.get(reason);
      if (!list) this.samples.set(reason, (list = []));
      for (const w of where) if (list.length < SAMPLES_PER_REASON) list.push(w);
    }
  }

  count(reason: string): number {
    return this.counts.get(reason) ?? 0;
  }

  /** Lines for stderr: `skipped 3 messages: missing sender_name (a.json (messages[4]), …)`. */
  lines(): string[] {
    const out: string[] = [];
    for (const [reason, n] of this.counts) {
      const where = this.samples.get(reason);
      const more = where && n > where.length ? ', …' : '';
      out.push(`${reason}: ${n}${where?.length ? ` (${where.join('; ')}${more})` : ''}`);
    }
    return out;
  }
}
