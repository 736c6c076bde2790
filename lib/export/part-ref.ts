/**
 * Where a part of a thread is, as a job names it: plain data that crosses to a worker thread. Its
 * own module: `openExport` (and so `inspect`) names parts without loading the pipeline.
 */
import type { ExportEntry } from '../sources/entry.js';
import type { ZipEntry } from '../sources/zip.js';

/**
 * One part of a thread (`message_N.json`): a file on disk or an entry of a zip archive.
 * `listedRegular`: the file was a regular file when its folder was listed (opened without a stat first).
 */
export type PartRef = { kind: 'file'; path: string; listedRegular?: boolean } | { kind: 'zip'; archive: string; entry: string; at?: ZipDataAt };

/**
 * Where a zip entry's data lies, as the export's listing found it (`ZipEntry.dataAt`): another
 * thread reads it there through a descriptor of its own, without listing the archive again
 * (lib/export/part-opener.ts).
 */
export interface ZipDataAt {
  start: number;
  method: number;
  crc32: number;
  size: number;
  compressedSize: number;
}

/**
 * Where an entry of the export index is, as a {@link PartRef}: a zip entry (it has a
 * `compressedSize`) by its archive and path inside, any other entry by its filesystem path (`name`,
 * as the folder lister and single-file inputs set it).
 */
export function partRefOf(entry: ExportEntry): PartRef {
  const zip = entry as Partial<Pick<ZipEntry, 'compressedSize' | 'dataAt'>>;
  if (typeof zip.compressedSize === 'number') {
    const data = zip.dataAt?.();
    const ref = { kind: 'zip' as const, archive: entry.input, entry: entry.path };
    return data ? { ...ref, at: { ...data, size: entry.size, compressedSize: zip.compressedSize } } : ref;
  }
  return entry.listedRegular ? { kind: 'file', path: entry.name, listedRegular: true } : { kind: 'file', path: entry.name };
}
