/**
 * Which threads of an export become training data, and whose voice they teach (the owner).
 *
 * Sections: by default `inbox`, `archived_threads`, `e2ee_cutover` and the E2EE download — the
 * conversations a person actually had. `filtered_threads` (what Messenger judged spam) and
 * `message_requests` (strangers, mostly never answered) are left out unless asked for.
 *
 * A joined thread (an `e2ee_cutover` thread and its E2EE download, lib/export/e2ee-join.ts) lies
 * in both sections: it is kept when either is selected, and then only its halves in selected
 * sections are read (`--sections e2ee` gives the E2EE chat alone, as without the join). `--thread`
 * matches it by the folder name, title or participants of either half read.
 */
import { UsageError } from '../errors.js';
import { detectOwner } from './owner.js';
import { SKIP_REASONS, type ExportIndex, type ThreadHeader, type ThreadPlan, type ThreadSection } from './export-index.js';
import type { HeaderOptions, OpenedExport } from './open-export.js';
import { DEFAULT_SECTIONS } from '../options.js';


export interface SelectOptions {
  /** Sections kept (threads in no known section — a loose thread folder — are always kept). */
  sections?: readonly ThreadSection[];
  /** Keep group chats. Default true. */
  groups?: boolean;
  /** Keep only threads whose key, title or a participant matches one of these (case-insensitive; `*` and `?` are wildcards, otherwise a substring). */
  threads?: readonly string[];
}

export interface Selection {
  selected: ThreadPlan[];
  /** Why the others were left out: reason → count. */
  left: Map<string, number>;
}

/**
 * The error for inputs with no thread at all: an HTML download, or JSON files that are not where an
 * export keeps threads (a folder of thread files collected by hand), which can be named one by one.
 */
export function noThreadsError(index: ExportIndex, inputs: readonly string[]): UsageError {
  if (index.htmlOnly) return new UsageError('this export is in HTML: download it again choosing the JSON format (Settings → Download your information → Format: JSON)');
  const loose = index.skipped.find((g) => g.reason === SKIP_REASONS.looseJson);
  let hint = '';
  if (loose) {
    const more = loose.count > loose.examples.length ? ', …' : '';
    const one = loose.count === 1;
    hint = `; ${loose.count} .json file${one ? '' : 's'} there (${loose.examples.join(', ')}${more}) ${one ? 'is' : 'are'} in no export layout: to read a file as a thread, name the file itself`;
  }
  return new UsageError(`no Messenger threads (message_N.json) found in ${inputs.join(', ')}${hint}`);
}

export async function selectThreads(opened: OpenedExport, options: SelectOptions = {}): Promise<Selection> {
  const sections = new Set(options.sections ?? DEFAULT_SECTIONS);
  const patterns = (options.threads ?? []).map(toMatcher);
  const left = new Map<string, number>();
  const leave = (why: string) => left.set(why, (left.get(why) ?? 0) + 1);
  const selected: ThreadPlan[] = [];
  const needHeaders = options.groups === false || patterns.length > 0;
  const all = opened.index.threads.flatMap((p) => [p, ...(p.joined ?? [])]);
  const headers = needHeaders ? await opened.headers(all, { title: patterns.length > 0 }) : null;
  const inSection = (p: ThreadPlan) => p.section === null || sections.has(p.section);
  for (const whole of opened.index.threads) {
    const halves = whole.joined?.filter(inSection);
    const plan = halves === undefined || halves.length === whole.joined!.length ? whole : halves[0];
    if (plan === undefined || !inSection(plan)) {
      leave(`section ${whole.section}`);
      continue;
    }
    const header = headers?.get(plan);
    if (options.groups === false && header?.isGroup) {
      leave('group chat');
      continue;
    }
    const sides = plan.joined ?? [plan];
    if (patterns.length && !patterns.some((m) => sides.some((side) => matches(m, side, headers?.get(side))))) {
      leave('--thread did not match');
      continue;
    }
    selected.push(plan);
  }
  return { selected, left };
}

/**
 * The export owner: the one participant of every thread (lib/export/owner.ts), over the Facebook
 * and E2EE threads, or over Instagram's when there are no others (Instagram names people by another
 * display name). No single answer: a usage error listing the candidates, so the user gives --me.
 * `how.elsewhere`: other threads read a share of the headers (lib/export/open-export.ts).
 */
export async function resolveOwner(opened: OpenedExport, how: HeaderOptions = {}): Promise<string> {
  const plans = opened.index.threads;
  const messenger = plans.filter((p) => p.dialect !== 'instagram');
  const pool = messenger.length ? messenger : plans;
  const headers = await opened.headers(pool, how);
  const result = detectOwner([...headers.values()].map((h) => h.participants));
  if (result.owner !== undefined) return result.owner;
  const list = result.candidates.map((c) => `${c.name} (in ${c.threads} of ${result.threads} threads)`).join(', ');
  throw new UsageError(`cannot tell whose export this is; say whose voice to learn with --me NAME. ${list ? `Candidates: ${list}` : 'No participant names were found.'}`);
}

type Matcher = (s: string) => boolean;

function toMatcher(pattern: string): Matcher {
  const p = pattern.toLowerCase();
  if (!/[*?]/.test(p)) return (s) => s.toLowerCase().includes(p);
  const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return (s) => re.test(s.toLowerCase());
}

function matches(m: Matcher, plan: ThreadPlan, header: ThreadHeader | undefined): boolean {
  if (m(plan.key) || m(plan.key.slice(plan.key.lastIndexOf('/') + 1))) return true;
  if (header?.title !== undefined && m(header.title)) return true;
  return header?.participants.some(m) ?? false;
}
