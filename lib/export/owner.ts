/**
 * Who exported the data: the participant present in every thread (docs/formats.md#classic-export). The export never
 * says so; the CLI uses this when `--me` is not given, and exits 2 with the candidates when there
 * is no single answer.
 *
 * Rules:
 * - Names are compared exactly (after mojibake repair, which {@link readThreadHeader} does), as the
 *   role mapper compares senders. Each name counts once per thread.
 * - Placeholder names (`""`, `"Facebook user"`, `"Instagram user"`, and any given in `options`;
 *   compared trimmed and case-insensitively) are never candidates, and a thread with no other name
 *   (no participants, or only deleted accounts) does not take part: it cannot veto anyone.
 * - A thread whose only real name is one person (a 1:1 with a deleted account) takes part: that
 *   name is the owner's.
 * - The owner is the one name present in every thread that takes part. Two or more such names
 *   (one 1:1 thread; only group chats with the same members) or none (a group the owner left lists
 *   only the others) give no owner: the caller asks the user, showing the ranked candidates.
 *
 * Platforms: the owner's name is the same across a Facebook export and the E2EE download (both are
 * Messenger display names), but Instagram lists people by their Instagram display name, which
 * often differs from the Facebook name. Call this once per platform (classic + e2ee threads, then
 * instagram threads) when an export mixes them: one call over both would find nobody in common.
 */

export interface OwnerCandidate {
  name: string;
  /** Threads (of those taking part) that list this name. */
  threads: number;
}

export interface OwnerResult {
  /** Set only when exactly one name is present in every thread taking part. */
  owner?: string;
  /** Names by threads listing them (most first), then by name; at most `limit`. */
  candidates: OwnerCandidate[];
  /** Threads that took part (had at least one real name). */
  threads: number;
}

export interface DetectOwnerOptions {
  /** More names that stand for a deleted or unknown account (e.g. localized "Utilisateur de Facebook"). */
  placeholders?: readonly string[];
  /** Candidates returned at most. Default 10; `Infinity` for all. */
  limit?: number;
}

/** Names Meta writes for deleted or unavailable accounts. */
export const PLACEHOLDER_NAMES: readonly string[] = Object.freeze(['', 'Facebook user', 'Instagram user']);

export type ParticipantList = readonly string[] | { readonly participants: readonly string[] };

/** The owner of the threads whose participant lists are given (one list per thread). */
export function detectOwner(threads: Iterable<ParticipantList>, options: DetectOwnerOptions = {}): OwnerResult {
  const limit = options.limit ?? 10;
  const placeholders = new Set([...PLACEHOLDER_NAMES, ...(options.placeholders ?? [])].map(normalizePlaceholder));
  const counts = new Map<string, number>();
  let voting = 0;
  for (const thread of threads) {
    const names = Array.isArray(thread) ? (thread as readonly string[]) : (thread as { participants: readonly string[] }).participants;
    const real = new Set<string>();
    for (const name of names) if (typeof name === 'string' && !placeholders.has(normalizePlaceholder(name))) real.add(name);
    if (real.size === 0) continue;
    ++voting;
    for (const name of real) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const ranked = [...counts].map(([name, n]) => ({ name, threads: n }));
  ranked.sort((a, b) => b.threads - a.threads || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const everywhere = ranked.filter((c) => c.threads === voting);
  const result: OwnerResult = { candidates: ranked.slice(0, limit), threads: voting };
  if (voting > 0 && everywhere.length === 1) result.owner = everywhere[0]!.name;
  return result;
}

function normalizePlaceholder(name: string): string {
  return name.trim().toLowerCase();
}
