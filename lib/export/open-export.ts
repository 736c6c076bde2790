/**
 * openExport(inputs): a whole export as threads, whatever it came as — folders (the export root or
 * any folder below it), `.zip` parts read in place, single `.json` files — in any mix. The first
 * pass of DESIGN.md "Whole exports and parallelism": list every entry, classify and group the
 * parts of each thread (lib/sources/export-index.ts); nothing is parsed until asked.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import pLimit from 'p-limit';
import { UsageError } from '../errors.js';
import { createReadStream } from 'node:fs';
import type { ExportEntry } from '../sources/entry.js';
import { buildExportIndex, readThreadHeader, type ExportIndex, type ThreadHeader, type ThreadPlan } from '../sources/export-index.js';
import { listFolder } from '../sources/folder.js';
import { createInflateBudget, openZip, type ZipArchive, type ZipProblem } from '../sources/zip.js';

export interface OpenExportOptions {
  /** Decide Instagram vs Facebook for a root-level `messages/` layout. Default: from the export. */
  platform?: 'facebook' | 'instagram';
  /** Inflated bytes allowed across all zip parts. Default 64 GiB. */
  maxZipBytes?: number;
}

export interface OpenedExport {
  index: ExportIndex;
  /** Zip entries refused (unsafe names, links, duplicates, encryption, bombs), one line each. */
  problems: ZipProblem[];
  /** Participants and title of a thread, from the start of its first part (cached). */
  header(plan: ThreadPlan): Promise<ThreadHeader>;
  /** Headers of many threads, a few files at a time. */
  headers(plans: readonly ThreadPlan[]): Promise<Map<ThreadPlan, ThreadHeader>>;
  /** Close the zip archives. */
  close(): Promise<void>;
}

const HEADER_CONCURRENCY = 8;

export async function openExport(inputs: readonly string[], options: OpenExportOptions = {}): Promise<OpenedExport> {
  const archives: ZipArchive[] = [];
  const entries: ExportEntry[] = [];
  const budget = createInflateBudget(options.maxZipBytes);
  try {
    for (const input of inputs) {
      const info = await stat(input).catch(() => null);
      if (!info) throw new UsageError(`cannot read input ${input}: no such file or folder`);
      if (info.isDirectory()) entries.push(...(await listFolder(input)));
      else if (/\.zip$/i.test(input)) {
        const zip = await openZip(input, { budget });
        archives.push(zip);
        entries.push(...zip.entries);
      } else entries.push(fileEntry(input, info.size));
    }
  } catch (err) {
    await Promise.all(archives.map((z) => z.close()));
    throw err;
  }
  const index = buildExportIndex(entries, options.platform ? { platform: options.platform } : {});
  const cache = new Map<ThreadPlan, Promise<ThreadHeader>>();
  const header = (plan: ThreadPlan) => {
    let h = cache.get(plan);
    if (!h) cache.set(plan, (h = readThreadHeader(plan.parts[0]!)));
    return h;
  };
  return {
    index,
    problems: archives.flatMap((z) => z.problems),
    header,
    async headers(plans) {
      const limit = pLimit(HEADER_CONCURRENCY);
      const got = await Promise.all(plans.map((p) => limit(() => header(p))));
      return new Map(plans.map((p, i) => [p, got[i]!]));
    },
    async close() {
      await Promise.all(archives.map((z) => z.close()));
    },
  };
}

/** A `.json` file given on its own: an entry named by its path, classified from its folder. */
function fileEntry(path: string, size: number): ExportEntry {
  return { input: dirname(path), path: basename(path), name: path, size, open: () => createReadStream(path, { highWaterMark: 64 * 1024 }) };
}
