/**
 * A run's statistics (`--stats`, `--stats-json`): counters the stages keep as plain data, summed
 * over threads and worker threads, and what the run left out and why (its report).
 */
import type { Report } from './report.js';
import { ALL_KINDS } from './options.js';
import type { MessageKind } from './types.js';

/** Counters by name (`text` messages, `turns`, `trainedReplies`, …): plain data, summed as they are. */
export type Counts = Record<string, number>;

export function addCounts(into: Counts, from: Readonly<Counts>): void {
  for (const key in from) into[key] = (into[key] ?? 0) + from[key]!;
}

/** Messages seen by kind, every kind present (a stable shape for the filter's hot loop). */
export function kindCounts(): Record<MessageKind, number> {
  zeroKinds ??= Object.freeze(Object.fromEntries(ALL_KINDS.map((k) => [k, 0])) as Record<MessageKind, number>);
  return { ...zeroKinds };
}
// made at first use: lib/options.ts (ALL_KINDS) may not have run yet when this module loads
let zeroKinds: Readonly<Record<MessageKind, number>> | undefined;

/** The {@link Counts} name of messages of `kind` (`messages.text`), one string for every thread. */
export function kindCountKey(kind: MessageKind): string {
  kindKeys ??= new Map(ALL_KINDS.map((k) => [k, `messages.${k}`]));
  return kindKeys.get(kind) ?? `messages.${kind}`;
}
let kindKeys: Map<MessageKind, string> | undefined;

export interface ConvertStats {
  threads: number;
  /** Messages decoded, by kind (kept or not). */
  messages: { total: number; byKind: Partial<Record<MessageKind, number>> };
  /** Conversations (sessions) that gave turns, and the turns (merged messages). */
  conversations: number;
  turns: number;
  examples: number;
  /** Replies taught (trained once each), and replies repeated as context (`weight: 0`). */
  trainedReplies: number;
  contextReplies: number;
  /** Tokens of the examples written (the cookbook's count), when counted. */
  tokens: number | null;
  /** What was left out or changed, and why: reason → count. */
  dropped: Record<string, number>;
}

export function convertStats(threads: number, examples: number, counts: Readonly<Counts>, report: Report): ConvertStats {
  const byKind: Partial<Record<MessageKind, number>> = {};
  let total = 0;
  for (const k of ALL_KINDS) {
    const n = counts[`messages.${k}`] ?? 0;
    if (n) byKind[k] = n;
    total += n;
  }
  return {
    threads,
    messages: { total, byKind },
    conversations: counts['conversations'] ?? 0,
    turns: counts['turns'] ?? 0,
    examples,
    trainedReplies: counts['trainedReplies'] ?? 0,
    contextReplies: counts['contextReplies'] ?? 0,
    tokens: counts['tokens'] ?? null,
    dropped: Object.fromEntries(report.counts),
  };
}

/** The statistics for a person, a line each. */
export function statsLines(s: ConvertStats): string[] {
  const kinds = Object.entries(s.messages.byKind).map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `threads: ${s.threads}`,
    `messages: ${s.messages.total}${kinds ? ` (${kinds})` : ''}`,
    `conversations: ${s.conversations}, turns: ${s.turns}`,
    `examples: ${s.examples}${s.tokens === null ? '' : `, tokens: ${s.tokens}`}`,
    `replies trained: ${s.trainedReplies}, repeated as context (weight 0): ${s.contextReplies}`,
    ...Object.entries(s.dropped).map(([why, n]) => `${why}: ${n}`),
  ];
}
