/**
 * Where bytes come from: stdin, files, and folders of thread files. Each source gets its own
 * tokenizer (its own byte offsets and name in errors); their token chunks flow on as one stream,
 * so that `createPipeline({ tokenizer: false })` sees one document after another.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { createTokenizer, type Tokenizer, type TokenizerOptions } from '../core/tokenizer.js';
import { FbstreamError, IoError, UsageError } from '../errors.js';
import type { TokenChunk } from '../types.js';
import type { InPlaceReader } from './entry.js';
import { createFileStream, readFileInPlace, type ReadInPlaceOptions } from './file-stream.js';

export interface Source {
  /** Shown in errors: a path, a zip entry (`archive.zip:path`), or `<stdin>`. */
  name: string;
  open(): Readable | Promise<Readable>;
  /**
   * The bytes read synchronously, when they can be: {@link tokenizeSources} then never calls
   * `open()`. A file source reads a regular file this way (not a FIFO or a device: a blocking read
   * would stall the process), a zip entry always (lib/sources/zip.ts).
   */
  readInPlace?(): InPlaceReader | null;
}

export const STDIN_NAME = '<stdin>';

export function fileSource(path: string): Source {
  return { name: path, open: () => createFileStream(path), readInPlace: () => readFileInPlace(path) };
}

/** {@link fileSource} for a path a folder's listing found a regular file: opened without a stat first (lib/sources/file-stream.ts). */
export function listedFileSource(path: string): Source {
  return { name: path, open: () => createFileStream(path), readInPlace: () => readFileInPlace(path, LISTED) };
}
const LISTED: ReadInPlaceOptions = Object.freeze({ listedRegular: true });

export function stdinSource(stdin: Readable = process.stdin): Source {
  return { name: STDIN_NAME, open: () => stdin };
}

/** `message_12.json` -> 12; other names -> undefined. */
export function partNumber(path: string): number | undefined {
  const m = /^message_(\d+)\.json$/i.exec(basename(path));
  return m ? Number(m[1]) : undefined;
}

/**
 * The parts of one thread go together and in numeric order (message_10 after message_9): group by
 * folder, keeping the folders in the order first named, parts sorted by number, other files as given.
 */
export function orderThreadFiles(paths: readonly string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const p of paths) {
    const key = partNumber(p) === undefined ? `\0${p}` : dirname(p);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(p);
  }
  const out: string[] = [];
  for (const g of groups.values()) out.push(...g.sort((a, b) => (partNumber(a) ?? 0) - (partNumber(b) ?? 0)));
  return out;
}

/**
 * LangChain's FolderFacebookMessengerChatLoader: `<root>/inbox/*` folders, every file in each whose
 * pathlib suffix is `.json` in any case (so not a file named just `.json`), one level only;
 * symbolic links followed, as `is_dir()` and `open()` do.
 */
export async function findLangChainFiles(root: string): Promise<string[]> {
  const inbox = join(root, 'inbox');
  const out: string[] = [];
  for (const d of (await readdir(inbox)).sort()) {
    if (!(await isKind(join(inbox, d), 'dir'))) continue;
    for (const f of (await readdir(join(inbox, d))).sort()) {
      if (pathlibSuffix(f).toLowerCase() === '.json' && (await isKind(join(inbox, d, f), 'file'))) out.push(join(inbox, d, f));
    }
  }
  return out;
}

/** Python's PurePath.suffix: from the last dot, unless the name starts with it or ends with it. */
function pathlibSuffix(name: string): string {
  const i = name.lastIndexOf('.');
  return i > 0 && i < name.length - 1 ? name.slice(i) : '';
}

/** stat() follows links; a dangling link is neither. */
async function isKind(path: string, kind: 'dir' | 'file'): Promise<boolean> {
  try {
    const st = await stat(path);
    return kind === 'dir' ? st.isDirectory() : st.isFile();
  } catch {
    return false;
  }
}

/** Resolve inputs — files, `-`, and with `langchain` LangChain's folders — to sources, checking each exists. */
export async function resolveInputs(inputs: readonly string[], options: { langchain?: boolean; stdin?: Readable } = {}): Promise<Source[]> {
  if (inputs.length === 0) return [stdinSource(options.stdin)];
  const paths: string[] = [];
  const sources: Source[] = [];
  for (const input of inputs) {
    if (input === '-') {
      sources.push(stdinSource(options.stdin));
      continue;
    }
    let info;
    try {
      info = await stat(input);
    } catch (err) {
      throw new UsageError(`cannot read input ${input}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}`);
    }
    if (info.isDirectory()) {
      // a folder is a whole export (lib/export/open-export.ts), but for LangChain's folder loader
      if (!options.langchain) throw new UsageError(`${input} is a folder: read a whole export with openExport()`);
      const files = await findLangChainFilesOrFail(input);
      if (files.length === 0) throw new UsageError(`no thread files (*.json) found in ${input}/inbox/*/`);
      paths.push(...files);
    } else {
      paths.push(input);
    }
  }
  return [...sources, ...(options.langchain ? paths : orderThreadFiles(paths)).map(fileSource)];
}

async function findLangChainFilesOrFail(root: string): Promise<string[]> {
  try {
    return await findLangChainFiles(root);
  } catch (err) {
    throw new UsageError(`--preset langchain reads <folder>/inbox/*/*.json, and ${root}/inbox cannot be read: ${(err as Error).message}`);
  }
}

/**
 * The most bytes the tokenizer is given at once. Its text, joined to the scanner's carry and
 * flattened, then stays under V8's 128 KiB large-object bound even as UTF-16: a larger string is
 * allocated in a fresh mmap, faulted in page by page and unmapped at the next GC
 * (docs/performance.md#serializer-and-large-strings).
 */
export const FILE_CHUNK = 32 * 1024;
/** Pushes to the tokenizer between two turns of the event loop (signals, output callbacks): 1 MiB. */
const PUSHES_PER_TURN = 32;
/**
 * Bytes read in place at a time, then given to the tokenizer {@link FILE_CHUNK} at a time. Reading
 * (or inflating) 32 KiB between every two pushes made the tokenizer's JSON.parse slower
 * (docs/performance.md#reading-input).
 */
const READ_BLOCK = 256 * 1024;
/**
 * Read blocks no longer in use, for the next source: each run of {@link tokenizeInPlace} holds its
 * own (the slices of a block outlive awaits, so concurrent runs cannot share one).
 */
const spareBlocks: Buffer[] = [];
const MAX_SPARE_BLOCKS = 2;

/** Token chunks of every source, one after another, each tokenized on its own. */
export async function* tokenizeSources(
  sources: readonly Source[],
  { signal, onBytes, ...options }: Omit<TokenizerOptions, 'source'> & { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
): AsyncGenerator<TokenChunk[]> {
  for (const source of sources) {
    const tokenizer = createTokenizer({ ...options, source: source.name });
    const reader = inPlace(source);
    if (reader) {
      try {
        yield* tokenizeInPlace(reader, source, tokenizer, signal, onBytes);
      } finally {
        reader.close();
      }
    } else {
      yield* tokenizeStream(source, tokenizer, signal, onBytes);
    }
    const tail = tokenizer.flush();
    if (tail.length) yield tail;
  }
}

function inPlace(source: Source): InPlaceReader | null {
  try {
    return source.readInPlace?.() ?? null;
  } catch (err) {
    throw readError(source, err);
  }
}

/**
 * Read in place into a reused block: no allocation, no stream, no chunks joined by a Readable's
 * buffer. Every {@link PUSHES_PER_TURN} pushes, one turn of the event loop.
 */
async function* tokenizeInPlace(reader: InPlaceReader, source: Source, tokenizer: Tokenizer, signal: AbortSignal | undefined, onBytes: ((n: number) => void) | undefined): AsyncGenerator<TokenChunk[]> {
  const block = spareBlocks.pop() ?? Buffer.allocUnsafeSlow(READ_BLOCK);
  try {
    for (let pushes = 0; ; ) {
      if (signal?.aborted) throw abortError(signal);
      let bytes: Uint8Array;
      try {
        bytes = reader.read(block);
      } catch (err) {
        throw readError(source, err);
      }
      if (bytes.length === 0) return;
      onBytes?.(bytes.length);
      for (let at = 0; at < bytes.length; at += FILE_CHUNK) {
        const out = tokenizer.push(bytes.length <= FILE_CHUNK ? bytes : bytes.subarray(at, at + FILE_CHUNK));
        if (out.length) yield out;
        if (++pushes % PUSHES_PER_TURN === 0) await new Promise(setImmediate);
      }
    }
  } finally {
    if (spareBlocks.length < MAX_SPARE_BLOCKS) spareBlocks.push(block);
  }
}

async function* tokenizeStream(source: Source, tokenizer: Tokenizer, signal: AbortSignal | undefined, onBytes: ((n: number) => void) | undefined): AsyncGenerator<TokenChunk[]> {
  const stream = await source.open();
  // an abort must end a read that waits for data (stdin from a terminal or a slow pipe)
  if (signal) addAbortSignal(signal, stream);
  try {
    // a Readable's iterator joins whatever it has buffered into one chunk: cut it back to size
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      onBytes?.(bytes.length);
      for (let at = 0; at < bytes.length; at += FILE_CHUNK) {
        const out = tokenizer.push(bytes.length <= FILE_CHUNK ? bytes : bytes.subarray(at, at + FILE_CHUNK));
        if (out.length) yield out;
      }
    }
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw readError(source, err);
  } finally {
    if (source.name !== STDIN_NAME) stream.destroy();
  }
}

/** An error of ours (it names its source already) as it is; anything else is I/O on `source`. */
function readError(source: Source, err: unknown): FbstreamError {
  if (err instanceof FbstreamError) return err;
  return new IoError(`cannot read ${source.name}: ${(err as Error).message}`, { cause: err });
}

/** What a stream ended by `addAbortSignal` throws. */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason });
}
