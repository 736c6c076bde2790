/**
 * openExport(inputs): a whole export as threads, whatever it came as — folders (the export root or
 * any folder below it), `.zip` parts read in place, single `.json` files — in any mix. The first
 * pass of the export flow (docs/architecture.md): list every entry, classify and group the
 * parts of each thread (lib/export/export-index.ts); nothing is parsed until asked, except the
 * headers of `e2ee_cutover` and E2EE download threads when both are present: their participants
 * decide which E2EE chat continues which cutover thread (lib/export/e2ee-join.ts), and the index
 * lists each such pair as one thread, for the selection, the jobs and `inspect` alike.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import pLimit from 'p-limit';
import { DataError, UsageError, ZipLimitError, type IoError } from '../errors.js';
import type { ExportEntry } from '../sources/entry.js';
import { e2eeCandidates, hasE2eeCandidates, joinE2eeThreads, type E2eeAmbiguity } from './e2ee-join.js';
import { buildExportIndex, isHtmlThreadPart, readThreadHeader, type ExportIndex, type ThreadHeader, type ThreadPlan } from './export-index.js';
import { fileEntry, listFolder } from '../sources/folder.js';
import { partRefOf, type PartRef } from './part-ref.js';
import { createInflateBudget, isJsonPath, openZip, type ZipArchive, type ZipProblem } from '../sources/zip.js';

export interface OpenExportOptions {
  /** Decide Instagram vs Facebook for a root-level `messages/` layout. Default: from the export. */
  platform?: 'facebook' | 'instagram';
  /**
   * Inflated bytes allowed across all zip parts. Default 64 GiB. Checked on the sizes the parts'
   * entries declare, before anything is inflated: a part that would take the total past it is left
   * out whole (`problems`).
   */
  maxZipBytes?: number;
  /** Join each E2EE download thread with its `e2ee_cutover` thread (same participants, one to one). Default true. */
  joinE2ee?: boolean;
}

export interface OpenedExport {
  /** The threads, an E2EE chat and its `e2ee_cutover` thread as one (`ThreadPlan.joined`). */
  index: ExportIndex;
  /** E2EE and `e2ee_cutover` threads left apart: several share one participant set. */
  ambiguousE2ee: E2eeAmbiguity[];
  /** What was left out: zip entries refused (unsafe names, links, duplicates, encryption, bombs), inputs that cannot be read. */
  problems: ExportProblem[];
  /** Participants and title of a thread, from the start of its first part (cached). */
  header(plan: ThreadPlan, how?: HeaderOptions): Promise<ThreadHeader>;
  /** Headers of many threads, a few files at a time. */
  headers(plans: readonly ThreadPlan[], how?: HeaderOptions): Promise<Map<ThreadPlan, ThreadHeader>>;
  /** Close the zip archives. */
  close(): Promise<void>;
}

/**
 * A whole input left out (a zip part that is not a zip, or is truncated), or a folder inside one
 * that cannot be listed (its threads left out); the error names it.
 */
export interface InputProblem {
  kind: 'unreadable-input';
  /** The input as given, or the folder's path. */
  input: string;
  error: DataError | IoError;
}

export type ExportProblem = ZipProblem | InputProblem;

export interface HeaderOptions {
  /** Also a group chat's title written after its messages, however much must be read for it. */
  title?: boolean;
  /** `headers()` only, without `title`: other threads that read a share of the headers meanwhile. */
  elsewhere?: HeaderReaders;
}

/**
 * Readers of thread headers elsewhere (worker threads, lib/export/runners.ts): given the first
 * parts of the threads not read yet but this thread's share, one promise per reader, each answering
 * its slice in order; null for a header not read there (this thread reads it, for its error). A
 * header is the same wherever it is read.
 */
export interface HeaderReaders {
  /** How many read at once besides this thread. */
  count(): number;
  read(parts: PartRef[]): Promise<(ThreadHeader | null)[]>[];
}

const HEADER_CONCURRENCY = 8;

/**
 * The zip entries listed: JSON, and the HTML thread files of an export downloaded as HTML, so that
 * the index tells it apart (`htmlOnly`) as it does for the unpacked folder; those are never read.
 */
const listedInZips = (path: string) => isJsonPath(path) || isHtmlThreadPart(path);

/**
 * The JSON bytes a zip part's entries declare. The run's cap on inflated bytes is held on their
 * total, once for the whole run: no read inflates past its entry's declared size, so the total
 * bounds the run's reads (each entry read whole once by its job, besides the start its header
 * takes) in whichever thread they run; the workers and the count worker open the parts again,
 * each with a budget of its own.
 */
function declaredJsonBytes(zip: ZipArchive): number {
  let bytes = 0;
  for (const e of zip.entries) if (isJsonPath(e.path)) bytes += e.size;
  return bytes;
}

/** Why a part whose `bytes` would take the run's declared total past `limit` is left out. */
function pastCapError(zip: ZipArchive, bytes: number, before: number, limit: number): ZipLimitError {
  const others = before ? ` with the ${before} of the parts before it` : '';
  return new ZipLimitError(`its JSON entries declare ${bytes} bytes, past maxZipBytes ${limit}${others} (possible zip bomb); part left out before inflating`, { archive: zip.archive });
}

/**
 * A zip part that cannot be read as a zip (not one, truncated, empty) goes to `problems` and the
 * other inputs are read; it rejects with that part's error when no thread is found anywhere else.
 */
export async function openExport(inputs: readonly string[], options: OpenExportOptions = {}): Promise<OpenedExport> {
  const archives: ZipArchive[] = [];
  const entries: ExportEntry[] = [];
  const given = new Set<ExportEntry>();
  const unreadable: InputProblem[] = [];
  const budget = createInflateBudget(options.maxZipBytes);
  let declared = 0;
  try {
    for (const input of inputs) {
      const info = await stat(input).catch(() => null);
      if (!info) throw new UsageError(`cannot read input ${input}: no such file or folder`);
      if (info.isDirectory()) entries.push(...(await listFolder(input, { onProblem: (p) => unreadable.push({ kind: 'unreadable-input', input: p.path, error: p.error }) })));
      else if (/\.zip$/i.test(input)) {
        const zip = await openZip(input, { budget, include: listedInZips }).catch((err: unknown) => {
          if (!(err instanceof DataError)) throw err;
          unreadable.push({ kind: 'unreadable-input', input, error: err });
          return null;
        });
        if (!zip) continue;
        const bytes = declaredJsonBytes(zip);
        if (declared + bytes > budget.limit) {
          unreadable.push({ kind: 'unreadable-input', input, error: pastCapError(zip, bytes, declared, budget.limit) });
          await zip.close();
          continue;
        }
        declared += bytes;
        archives.push(zip);
        entries.push(...zip.entries);
      } else {
        // classified from its folder, and read as a thread when no layout places it (see `given`)
        const entry = fileEntry(dirname(input), basename(input), input, info.size);
        entries.push(entry);
        given.add(entry);
      }
    }
  } catch (err) {
    await Promise.all(archives.map((z) => z.close()));
    throw err;
  }
  let index = buildExportIndex(entries, { given, ...(options.platform && { platform: options.platform }) });
  if (index.threads.length === 0 && unreadable.length > 0) {
    await Promise.all(archives.map((z) => z.close()));
    throw unreadable[0]!.error;
  }
  const cache = new Map<ThreadPlan, Promise<ThreadHeader>>();
  // headers read on to a group chat's title after its messages (--thread), apart: that costs a whole entry
  const titled = new Map<ThreadPlan, Promise<ThreadHeader>>();
  const header = (plan: ThreadPlan, how: HeaderOptions = {}): Promise<ThreadHeader> => {
    const c = how.title ? titled : cache;
    let h = c.get(plan);
    if (h) return h;
    const read = () => readThreadHeader(plan.parts[0]!, { titleAtEnd: how.title === true });
    const plain = how.title ? cache.get(plan) : undefined;
    // a header read already with its title is the whole header: reading on for a title stops where
    // the title is known (`--thread` after the owner: every thread's file read once, not twice)
    h = plain ? plain.then((p) => (p.title !== undefined ? p : read()), read) : read();
    c.set(plan, h);
    return h;
  };
  const headers = async (plans: readonly ThreadPlan[], how: HeaderOptions = {}) => {
    if (how.elsewhere && !how.title) await readElsewhere(plans, how.elsewhere);
    const limit = pLimit(HEADER_CONCURRENCY);
    const got = await Promise.all(plans.map((p) => limit(() => header(p, how))));
    return new Map(plans.map((p, i) => [p, got[i]!]));
  };
  /** The later share of the headers not read yet, read elsewhere while this thread reads the rest. */
  const readElsewhere = async (plans: readonly ThreadPlan[], elsewhere: HeaderReaders) => {
    const todo = plans.filter((p) => !cache.has(p) && p.joined === undefined);
    const readers = elsewhere.count();
    if (readers === 0 || todo.length < 2) return;
    // this thread's share: one reader's, the first threads
    const mine = Math.ceil(todo.length / (readers + 1));
    const theirs = todo.slice(mine);
    const answers = elsewhere.read(theirs.map((p) => partRefOf(p.parts[0]!)));
    const limit = pLimit(HEADER_CONCURRENCY);
    await Promise.all(todo.slice(0, mine).map((p) => limit(() => header(p).catch(() => {}))));
    let at = 0;
    for (const got of await Promise.all(answers)) {
      for (const h of got) {
        const plan = theirs[at++]!;
        if (h !== null && !cache.has(plan)) cache.set(plan, Promise.resolve(h));
      }
    }
  };
  let ambiguousE2ee: E2eeAmbiguity[] = [];
  if ((options.joinE2ee ?? true) && hasE2eeCandidates(index.threads)) {
    // a header that fails leaves its thread unmatched: the thread's own job reports the error
    const limit = pLimit(HEADER_CONCURRENCY);
    const read = new Map<ThreadPlan, ThreadHeader>();
    await Promise.all(e2eeCandidates(index.threads).map((p) => limit(() => header(p).then((h) => void read.set(p, h), () => {}))));
    const joined = joinE2eeThreads(index.threads, read);
    // a joined thread's header is its first half's (the same participants)
    for (const plan of joined.joined) {
      cache.set(plan, header(plan.joined![0]!));
      titled.set(plan, header(plan.joined![0]!, { title: true }));
    }
    index = { ...index, threads: joined.threads };
    ambiguousE2ee = joined.ambiguous;
  }
  return {
    index,
    ambiguousE2ee,
    problems: [...unreadable, ...archives.flatMap((z) => z.problems)],
    header,
    headers,
    async close() {
      await Promise.all(archives.map((z) => z.close()));
    },
  };
}
