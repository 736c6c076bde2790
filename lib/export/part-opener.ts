/**
 * Opens the parts of thread jobs (lib/export/thread-job.ts), in the calling thread or a worker.
 * A zip part whose data the export's listing located (`PartRef.at`) is read there, in place,
 * through a descriptor of the opener's own: no second listing of the archive in each thread
 * (yauzl reads every central record, media included). Any other zip part, one whose archive
 * cannot be opened so, and one too large to inflate whole (streamed), go through the archive
 * listed once per opener, as before.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { IoError, zipPosition } from '../errors.js';
import type { ExportEntry } from '../sources/entry.js';
import { fileSource, listedFileSource, type Source } from '../sources/files.js';
import { createInflateBudget, openZip, storedSizesDisagree, type InflateBudget, type OpenZipOptions, type ZipArchive, type ZipEntry } from '../sources/zip.js';
import { EntryTally } from '../sources/zip/entry-checks.js';
import { FdReader } from '../sources/zip/fd-reader.js';
import { readInPlace, type InPlaceArchive } from '../sources/zip/in-place.js';
import type { PartRef, ZipDataAt } from './part-ref.js';

/** Opens the parts of threads; keeps each zip archive open (listed once, if at all) until `close()`. */
export interface PartOpener {
  /** A source for the part: its name in errors and a synchronous `open()`. */
  source(part: PartRef): Promise<Source>;
  /** Closes every archive opened. Idempotent; `source()` fails afterwards. */
  close(): Promise<void>;
}

type ZipPart = Extract<PartRef, { kind: 'zip' }>;

export function createPartOpener(options: { zip?: OpenZipOptions } = {}): PartOpener {
  const listed = new Map<string, Promise<{ zip: ZipArchive; byPath: Map<string, ZipEntry> }>>();
  const located = new Map<string, (InPlaceArchive & { reader: FdReader; closing: boolean; path: string }) | null>();
  // bounds what this opener's located reads inflate, as an archive's own budget bounds its reads
  const budget = options.zip?.budget ?? createInflateBudget(options.zip?.maxTotalBytes);
  let closed = false;
  const openListed = (archive: string) => {
    let p = listed.get(archive);
    if (!p) {
      p = openZip(archive, options.zip).then((zip) => ({ zip, byPath: new Map(zip.entries.map((e) => [e.path, e])) }));
      p.catch(() => {}); // a bad archive fails each of its threads, and is listed once
      listed.set(archive, p);
    }
    return p;
  };
  const listedEntry = async (part: ZipPart): Promise<ZipEntry> => {
    const { byPath } = await openListed(part.archive);
    const entry = byPath.get(part.entry);
    if (!entry) throw new IoError(`${describePart(part)}: no such entry in the archive (or the archive refused it when listed)`);
    return entry;
  };
  const openLocated = (path: string) => {
    let a = located.get(path);
    if (a === undefined) {
      let fd: number | undefined;
      try {
        fd = openSync(path, 'r');
        a = { reader: new FdReader(fd, fstatSync(fd).size), closing: false, path };
      } catch {
        if (fd !== undefined) closeSync(fd);
        a = null; // the listing's own error, then
      }
      located.set(path, a);
    }
    return a;
  };
  return {
    async source(part) {
      if (closed) throw new IoError(`cannot open ${describePart(part)}: the part opener is closed`);
      if (part.kind === 'file') return part.listedRegular ? listedFileSource(part.path) : fileSource(part.path);
      // an entry the listed one refuses before reading is read through it, for the same error
      const archive = part.at && !storedSizesDisagree(part.at) ? openLocated(part.archive) : null;
      if (!archive) return listedEntry(part);
      return locatedEntry(part, part.at!, archive, budget, () => listedEntry(part).then((e) => e.open()));
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const a of located.values()) if (a) a.closing = true;
      const all = [...listed.values()];
      listed.clear();
      let first: unknown;
      for (const a of located.values()) {
        if (!a) continue;
        const err = await new Promise<Error | null>((resolve) => a.reader.close(resolve));
        if (err) first ??= new IoError(`cannot close archive ${a.path}: ${err.message}`, { cause: err });
      }
      located.clear();
      for (const p of all) {
        try {
          await (await p.catch(() => undefined))?.zip.close();
        } catch (err) {
          first ??= err;
        }
      }
      if (first) throw first;
    },
  };
}

/**
 * The entry as its archive's listing gives it, read where `at` says, with the same checks. A
 * deflated entry too large to inflate whole has no in-place reader (null): its readers then open
 * it as a stream, of the archive listed after all.
 */
function locatedEntry(part: ZipPart, at: ZipDataAt, archive: InPlaceArchive, budget: InflateBudget, stream: () => ReturnType<ExportEntry['open']>): ExportEntry {
  const place = { archive: part.archive, entry: part.entry };
  return {
    input: part.archive,
    path: part.entry,
    name: zipPosition(place).source,
    size: at.size,
    open: stream,
    readInPlace: (o) => readInPlace(archive, at.start, at.method, at.compressedSize, new EntryTally(at.size, at.crc32, budget, place), undefined, o?.head),
  };
}

function describePart(part: PartRef): string {
  return part.kind === 'file' ? part.path : `${part.archive}:${part.entry}`;
}
