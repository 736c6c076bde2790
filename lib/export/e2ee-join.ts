/**
 * The E2EE chat download continues the `e2ee_cutover` threads of the Facebook export with no
 * overlap (docs/formats.md#e2ee-download): a complete history needs both. {@link joinE2eeThreads} makes each such
 * pair one conversation, read in one job (its documents joined whatever their ids, ordered
 * chronologically across both), and listed once.
 *
 * Paths do not tell the pair (`e2ee_cutover/zoemartin_1001` vs `messages/Zoë Martin_40.json`), so the
 * match is by participants, from the thread headers: the same set of names, compared exactly after
 * mojibake repair (as the decoder compares senders; the headers repair them). Joining two people's
 * chats is an error no later stage can undo, while not joining costs at most one session boundary,
 * so the match must be certain:
 * - one `e2ee_cutover` thread and one E2EE thread with that set, no more on either side (two
 *   threads with the same participants — two people of one name, a chat with a deleted account
 *   restarted — leave every thread of the set apart, and the set is reported);
 * - at least two names, none a placeholder (`""`, `Facebook user`: any deleted account is called
 *   so, equal names do not mean one person);
 * - both headers read (a thread whose header fails stays apart; its job reports the error).
 *
 * The joined thread takes the `e2ee_cutover` thread's place, key, section and dialect, and reads its
 * parts first (newest-first, as Meta writes them), then the E2EE file. Equal timestamps then follow
 * the first document's direction: ties inside the E2EE half (oldest-first) read in reverse file
 * order. The halves never share a millisecond (no overlap), so only such ties inside that half can
 * differ from reading it alone.
 */
import type { ThreadHeader, ThreadPlan } from './export-index.js';
import { PLACEHOLDER_NAMES } from './owner.js';

/** Threads with one participant set that could not be paired one to one: left apart. */
export interface E2eeAmbiguity {
  /** The shared participants, sorted. */
  participants: string[];
  /** The threads of the set (`e2ee_cutover/…` and `e2ee/…`), in index order. */
  keys: string[];
}

export interface E2eeJoinResult {
  /** The index's threads with each pair replaced by one joined thread (at the cutover's place). */
  threads: ThreadPlan[];
  /** The joined threads (each with `joined` set: the cutover thread, then the E2EE one). */
  joined: ThreadPlan[];
  ambiguous: E2eeAmbiguity[];
}

const PLACEHOLDERS = new Set(PLACEHOLDER_NAMES.map((n) => n.trim().toLowerCase()));

/** True when `threads` hold both sides: only then are the headers worth reading. */
export function hasE2eeCandidates(threads: readonly ThreadPlan[]): boolean {
  return threads.some((p) => p.section === 'e2ee') && threads.some((p) => p.section === 'e2ee_cutover');
}

/** The threads that take part in the match: those whose headers {@link joinE2eeThreads} needs. */
export function e2eeCandidates(threads: readonly ThreadPlan[]): ThreadPlan[] {
  return threads.filter((p) => (p.section === 'e2ee' || p.section === 'e2ee_cutover') && !p.joined);
}

/**
 * Pair E2EE threads with their `e2ee_cutover` threads by participants. `headers`: the headers of
 * {@link e2eeCandidates} (a thread missing from it is not matched). Pure; deterministic.
 */
export function joinE2eeThreads(threads: readonly ThreadPlan[], headers: ReadonlyMap<ThreadPlan, ThreadHeader>): E2eeJoinResult {
  const bySet = new Map<string, { names: string[]; cutover: ThreadPlan[]; e2ee: ThreadPlan[] }>();
  for (const plan of e2eeCandidates(threads)) {
    const header = headers.get(plan);
    const names = header && participantSet(header.participants);
    if (!names) continue;
    const id = JSON.stringify(names);
    let g = bySet.get(id);
    if (!g) bySet.set(id, (g = { names, cutover: [], e2ee: [] }));
    (plan.section === 'e2ee' ? g.e2ee : g.cutover).push(plan);
  }

  const pairOf = new Map<ThreadPlan, ThreadPlan>(); // cutover thread -> its joined thread
  const absorbed = new Set<ThreadPlan>(); // E2EE threads now read inside a joined one
  const ambiguous: E2eeAmbiguity[] = [];
  for (const { names, cutover, e2ee } of bySet.values()) {
    if (cutover.length === 0 || e2ee.length === 0) continue;
    if (cutover.length > 1 || e2ee.length > 1) {
      const keys = threads.filter((p) => cutover.includes(p) || e2ee.includes(p)).map((p) => p.key);
      ambiguous.push({ participants: names, keys });
      continue;
    }
    const [first, second] = [cutover[0]!, e2ee[0]!];
    pairOf.set(first, {
      key: first.key,
      section: first.section,
      dialect: first.dialect,
      parts: [...first.parts, ...second.parts],
      missingParts: [...first.missingParts],
      joined: [first, second],
    });
    absorbed.add(second);
  }

  const out: ThreadPlan[] = [];
  const joined: ThreadPlan[] = [];
  for (const plan of threads) {
    if (absorbed.has(plan)) continue;
    const j = pairOf.get(plan);
    if (j) joined.push(j);
    out.push(j ?? plan);
  }
  ambiguous.sort((a, b) => (a.keys[0]! < b.keys[0]! ? -1 : a.keys[0]! > b.keys[0]! ? 1 : 0));
  return { threads: out, joined, ambiguous };
}

/** The sorted, distinct names of a thread, or null when they cannot identify a conversation. */
function participantSet(participants: readonly string[]): string[] | null {
  const names = [...new Set(participants)].sort();
  if (names.length < 2 || names.some((n) => PLACEHOLDERS.has(n.trim().toLowerCase()))) return null;
  return names;
}
