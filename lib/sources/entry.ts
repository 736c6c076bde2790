/**
 * One file of an export, wherever it lives: a file on disk, an entry of a zip archive, stdin.
 * Sources (folder walker, zip reader) produce these; the export index groups them into threads.
 */
import type { Readable } from 'node:stream';

export interface ExportEntry {
  /** The input it came from, as given: a folder, a zip file, a .json file. */
  input: string;
  /** Path inside the input, `/`-separated, no leading `/` (for a file input: its base name). */
  path: string;
  /** Shown in messages and errors: `archive.zip:path/in/zip.json` or a filesystem path. */
  name: string;
  /** Uncompressed size in bytes, as far as known before reading. */
  size: number;
  /**
   * The bytes. Each call opens a new stream; errors name the entry. `chunkBytes`: a hint for the
   * size of the chunks read (a header reader wants a few KiB, not 64); a source may ignore it.
   */
  open(options?: { chunkBytes?: number }): Readable | Promise<Readable>;
}
