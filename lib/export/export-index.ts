/**
 * The first pass over a whole export (docs/architecture.md#export-flow): classify every
 * entry of every input by its path alone, group the parts of each thread across inputs, and say
 * what was left out and why. {@link buildExportIndex} reads nothing; {@link readThreadHeader} reads
 * the start of one part when the caller needs participants (for the owner and the selection).
 *
 * Where an entry is: its path inside its input, preceded by the input's own location (the
 * resolved folder, or the zip's name without `.zip`), so that an input pointed at
 * `.../messages/inbox`, at one thread folder or at one file classifies like the whole export.
 * The layout is read from the end of that path:
 *
 *   [root/] messages/<section>/<thread>/message_N.json   classic or Instagram (see below)
 *   <section>/<thread>/message_N.json                     a copied messages folder
 *   .../<thread>/message_N.json                           a loose thread folder (section null)
 *   [messages/]<Display Name>_<N>.json                    the E2EE download (docs/formats.md#e2ee-download)
 *
 * Classic vs Instagram: `your_facebook_activity/`, `your_activity_across_facebook/` are Facebook,
 * `your_instagram_activity/` is Instagram. The older root-level `messages/` is shared by both;
 * there the folder holding `messages/` decides: `options.platform` if given, else its sibling
 * folders in the same input (Instagram: `your_instagram_activity`, `followers_and_following`,
 * `connections/followers_and_following`; Facebook: `your_facebook_activity`,
 * `your_activity_across_facebook`, `friends`, `friends_and_followers`, `about_you`,
 * `profile_information`), else its name (Meta names the download `instagram-<user>-<date>-<id>`
 * or `facebook-<user>-<date>-<id>`), else classic. The decoder reads both dialects alike; the
 * dialect matters for notices and for the owner, whose Instagram name is a display name.
 *
 * E2EE grouping: each `<Display Name>_<N>.json` is one whole thread, keyed `e2ee/<Display Name>_<N>`.
 * N is not a part number: the file's own `threadName` is the full `Them_40` (the parts of a
 * classic thread all carry the thread's name, not the part's), and two people can share a display
 * name, so files with one name and different N are never joined: joining two people's chats is an
 * error no later stage can undo, while not joining costs at most one session boundary. E2EE threads
 * continue `e2ee_cutover` threads with no overlap; they are not joined with them here, by path:
 * their participants are only known from the headers, so openExport joins them after this index
 * (lib/export/e2ee-join.ts), into a plan whose `joined` lists the two.
 */
import { basename, resolve } from 'node:path';
import type { Dialect } from '../types.js';
import type { ThreadSection } from '../options.js';
import type { ExportEntry } from '../sources/entry.js';

export { readThreadHeader, createHeaderReader, type ThreadHeader, type ReadThreadHeaderOptions } from './thread-header.js';

export type { ThreadSection } from '../options.js';

export interface ThreadPlan {
  /** `inbox/alice_123` (as the files' `thread_path`), `e2ee/Alice_40`, or a loose thread folder's name. Unique with `dialect`. */
  key: string;
  /** A known section, `e2ee` for the E2EE download; null for a loose thread folder or an unknown section. */
  section: ThreadSection | null;
  dialect: Dialect;
  /** `message_1` (the newest) to `message_N`, in numeric order, from whichever inputs held them. */
  parts: ExportEntry[];
  /** Part numbers below the highest found that no input held (a zip part not given?). */
  missingParts: number[];
  /**
   * Set on one conversation made of several threads of the index: an `e2ee_cutover` thread and its
   * continuation in the E2EE download (lib/export/e2ee-join.ts), in reading order; `parts` are
   * theirs, one after the other, and key, section, dialect and missingParts the first one's.
   */
  joined?: ThreadPlan[];
}

export interface SkippedGroup {
  /** One of {@link SKIP_REASONS}, or the source's own (`ExportEntry.skip`). */
  reason: string;
  count: number;
  /** The first few entries skipped for this reason (`name`s). */
  examples: string[];
}

export interface ExportIndex {
  threads: ThreadPlan[];
  skipped: SkippedGroup[];
  /** No JSON thread part at all, but `message_N.html` files: the export was downloaded as HTML. */
  htmlOnly: boolean;
}

export interface ExportIndexOptions {
  /** Decides exports with the shared root-level `messages/` layout (see above). Default: detected. */
  platform?: 'facebook' | 'instagram';
  /** Examples kept per skip reason. Default 3. */
  maxExamples?: number;
  /**
   * Entries the user named one by one (a `.json` file given as an input). One that no layout
   * places (`chat.json`, `ada_export.json`) is read as a thread of its own, keyed by its name,
   * instead of being skipped as other export data: the user said it is a thread, and reading it
   * tells (`FBS_NOT_A_THREAD` when it is not).
   */
  given?: ReadonlySet<ExportEntry>;
}

export const SKIP_REASONS = Object.freeze({
  notJson: 'not JSON (media and other files)',
  html: 'HTML thread file (the export was downloaded as HTML)',
  messagesOther: 'JSON in the messages folder that is not a thread (settings, stickers, autofill)',
  otherJson: 'JSON outside the messages (other export data)',
  looseJson: 'JSON at the top of an input folder or zip, in no export layout; to read one as a thread, name the file itself',
  duplicate: 'duplicate thread part (the same part in another input or place; the first is kept)',
});

const SECTION_ORDER: readonly (ThreadSection | null)[] = ['inbox', 'archived_threads', 'filtered_threads', 'message_requests', 'e2ee_cutover', 'e2ee', null];
const SECTIONS = new Set<string>(SECTION_ORDER.slice(0, 5) as string[]);
const DIALECT_ORDER: readonly Dialect[] = ['classic', 'instagram', 'e2ee'];
const LAYOUT_ROOTS: ReadonlyMap<string, Dialect> = new Map([
  ['your_facebook_activity', 'classic'],
  ['your_activity_across_facebook', 'classic'],
  ['your_instagram_activity', 'instagram'],
]);
const INSTAGRAM_SIBLINGS = new Set(['your_instagram_activity', 'followers_and_following', 'connections/followers_and_following']);
const FACEBOOK_SIBLINGS = new Set(['your_facebook_activity', 'your_activity_across_facebook', 'friends', 'friends_and_followers', 'about_you', 'profile_information']);
const PART = /^message_(\d+)\.json$/i;
const HTML_PART = /^message_\d+\.html?$/i;
const E2EE_FILE = /^.+_\d+\.json$/i;

/** `message_N.html`: a thread file of an export downloaded as HTML (`path` inside the export). */
export function isHtmlThreadPart(path: string): boolean {
  return HTML_PART.test(basename(path));
}

/** Where one entry belongs. `root` (the folder holding `messages/`) is set while the platform is still open. */
export type EntryPlace =
  | { part: number; key: string; section: ThreadSection | null; dialect: Dialect; root?: string[] }
  | { skip: string };

/**
 * Classify `entries` (every input's entries, concatenated) into threads. Deterministic: threads by
 * section (inbox, archived, filtered, requests, e2ee_cutover, e2ee, others), then key, then
 * dialect; parts by number; a part found twice is kept once (the first in `entries`) and reported.
 */
export function buildExportIndex(entries: Iterable<ExportEntry>, options: ExportIndexOptions = {}): ExportIndex {
  const maxExamples = options.maxExamples ?? 3;
  const skipped = new Map<string, SkippedGroup>();
  const skip = (reason: string, entry: ExportEntry) => {
    let g = skipped.get(reason);
    if (!g) skipped.set(reason, (g = { reason, count: 0, examples: [] }));
    ++g.count;
    if (g.examples.length < maxExamples) g.examples.push(entry.name);
  };

  // pass 1: place every entry by its path
  const bases = new Map<string, string[]>();
  const placed: { entry: ExportEntry; place: EntryPlace }[] = [];
  const byInput = new Map<string, ExportEntry[]>();
  for (const entry of entries) {
    if (entry.skip !== undefined) {
      skip(entry.skip, entry); // a FIFO, device or link its source would not read (lib/sources/folder.ts FOLDER_SKIP)
      continue;
    }
    let place = classify(fullPath(entry, bases), entry.path.split('/').filter(Boolean).length === 1);
    if ('skip' in place && place.skip !== SKIP_REASONS.notJson && place.skip !== SKIP_REASONS.html && options.given?.has(entry)) {
      place = { part: 1, key: basename(entry.path).replace(/\.json$/i, ''), section: null, dialect: 'classic' };
    }
    placed.push({ entry, place });
    let list = byInput.get(entry.input);
    if (!list) byInput.set(entry.input, (list = []));
    list.push(entry);
  }

  // pass 2: decide the platform of each root-level `messages/` layout once, from its siblings
  const decided = new Map<string, Dialect>();
  const platformOf = (input: string, root: string[]): Dialect => {
    const id = `${input}\0${root.join('/')}`;
    let d = decided.get(id);
    if (d === undefined) decided.set(id, (d = decidePlatform(root, byInput.get(input)!, bases, options.platform)));
    return d;
  };

  const groups = new Map<string, { plan: ThreadPlan; byNumber: Map<number, ExportEntry[]> }>();
  let html = 0;
  for (const { entry, place } of placed) {
    if ('skip' in place) {
      if (place.skip === SKIP_REASONS.html) ++html;
      skip(place.skip, entry);
      continue;
    }
    const dialect = place.root ? platformOf(entry.input, place.root) : place.dialect;
    const id = `${dialect}\0${place.key}`;
    let g = groups.get(id);
    if (!g) {
      const plan: ThreadPlan = { key: place.key, section: place.section, dialect, parts: [], missingParts: [] };
      groups.set(id, (g = { plan, byNumber: new Map() }));
    }
    // the same part twice: a copy (same size) is read once; a part of another size comes from an
    // export of another date, whose messages overlap: both are read, the dedupe stage drops copies
    const copies = g.byNumber.get(place.part);
    if (!copies) g.byNumber.set(place.part, [entry]);
    else if (copies.some((c) => c.size === entry.size)) skip(SKIP_REASONS.duplicate, entry);
    else copies.push(entry);
  }

  const threads: ThreadPlan[] = [];
  for (const { plan, byNumber } of groups.values()) {
    const numbers = [...byNumber.keys()].sort((a, b) => a - b);
    plan.parts = numbers.flatMap((n) => byNumber.get(n)!);
    const max = numbers[numbers.length - 1] ?? 0;
    for (let n = 1; n < max; ++n) if (!byNumber.has(n)) plan.missingParts.push(n);
    threads.push(plan);
  }
  threads.sort(compareThreads);
  return { threads, skipped: [...skipped.values()], htmlOnly: threads.length === 0 && html > 0 };
}

function compareThreads(a: ThreadPlan, b: ThreadPlan): number {
  return (
    SECTION_ORDER.indexOf(a.section) - SECTION_ORDER.indexOf(b.section) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) ||
    DIALECT_ORDER.indexOf(a.dialect) - DIALECT_ORDER.indexOf(b.dialect)
  );
}

/**
 * The entry's location as segments: the input's own location, then the path inside it. A zip
 * counts as the folder it extracts to (`messages.zip` -> `messages`, `x (1).zip` -> `x`); a file
 * given as the input (path = its base name) counts as that file in its folder.
 */
function fullPath(entry: ExportEntry, bases: Map<string, string[]>): string[] {
  const path = entry.path.split('/').filter((s) => s !== '' && s !== '.');
  let base = bases.get(entry.input);
  if (!base) {
    base = resolve(entry.input).split(/[\\/]+/).filter(Boolean);
    const last = base[base.length - 1];
    if (last !== undefined && /\.zip$/i.test(last)) base[base.length - 1] = last.replace(/\.zip$/i, '').replace(/\s*\(\d+\)$/, '');
    bases.set(entry.input, base);
  }
  if (path.length === 1 && basename(entry.input) === path[0]) return [...base.slice(0, -1), path[0]!];
  return [...base, ...path];
}

/** Place one entry from its full path; `atTop`: it lies directly in its input (or is the input). */
export function classify(full: readonly string[], atTop = false): EntryPlace {
  const n = full.length;
  const file = full[n - 1] ?? '';
  const inMessages = full.slice(0, -1).includes('messages');
  if (!/\.json$/i.test(file)) return { skip: HTML_PART.test(file) ? SKIP_REASONS.html : SKIP_REASONS.notJson };

  const m = PART.exec(file);
  if (m) {
    const part = Number(m[1]);
    const thread = full[n - 2] ?? '';
    const section = full[n - 3];
    const messages = full[n - 4];
    const layout = LAYOUT_ROOTS.get(full[n - 5] ?? '');
    if (section !== undefined && (SECTIONS.has(section) || messages === 'messages')) {
      const known = SECTIONS.has(section) ? (section as ThreadSection) : null;
      const key = `${section}/${thread}`;
      if (messages === 'messages' && layout) return { part, key, section: known, dialect: layout };
      // root-level `messages/` (or a copied messages folder): the platform is decided per root
      return { part, key, section: known, dialect: 'classic', root: full.slice(0, messages === 'messages' ? n - 4 : n - 3) };
    }
    const ancestor = full.slice(0, -2).findLast((s) => LAYOUT_ROOTS.has(s));
    if (ancestor) return { part, key: thread, section: null, dialect: LAYOUT_ROOTS.get(ancestor)! };
    return { part, key: thread, section: null, dialect: 'classic', root: full.slice(0, n - 2) };
  }

  const insideLayout = full.slice(0, -1).some((s) => LAYOUT_ROOTS.has(s));
  if (E2EE_FILE.test(file) && !insideLayout && (full[n - 2] === 'messages' || atTop)) {
    return { part: 1, key: `e2ee/${file.slice(0, -'.json'.length)}`, section: 'e2ee', dialect: 'e2ee' };
  }
  if (inMessages) return { skip: SKIP_REASONS.messagesOther };
  // thread files collected by hand into a folder: said apart, for the "no threads" hint
  return { skip: atTop && !insideLayout ? SKIP_REASONS.looseJson : SKIP_REASONS.otherJson };
}

/** Instagram or Facebook, for a root-level `messages/` layout whose root folder is `root`. */
function decidePlatform(root: readonly string[], entries: readonly ExportEntry[], bases: Map<string, string[]>, platform: ExportIndexOptions['platform']): Dialect {
  if (platform) return platform === 'instagram' ? 'instagram' : 'classic';
  let instagram = false;
  let facebook = false;
  const prefix = root.length ? `${root.join('/')}/` : '';
  for (const entry of entries) {
    const full = fullPath(entry, bases).join('/');
    if (!full.startsWith(prefix)) continue;
    const [child = '', grandchild] = full.slice(prefix.length).split('/', 3);
    if (grandchild === undefined) continue; // a file beside messages/, not a folder
    if (INSTAGRAM_SIBLINGS.has(child) || INSTAGRAM_SIBLINGS.has(`${child}/${grandchild}`)) instagram = true;
    if (FACEBOOK_SIBLINGS.has(child)) facebook = true;
  }
  if (instagram !== facebook) return instagram ? 'instagram' : 'classic';
  return /^instagram[-_]/i.test(root[root.length - 1] ?? '') ? 'instagram' : 'classic';
}
