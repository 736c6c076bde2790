/** Running the `langchain` preset over bytes or a folder, for the LangChain equivalence tests. */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createPipeline } from '../../lib/pipeline.js';
import { resolveInputs, tokenizeSources } from '../../lib/sources/files.js';
import type { ReferenceOptions } from './langchain-reference.js';

/** What `stream.pipeline` collects from the preset's streams. */
export function collector(out: string[]): Writable {
  return new Writable({
    objectMode: true,
    write(chunk, _enc, cb) {
      out.push(String(chunk));
      cb();
    },
  });
}

export function parseLines(text: string): unknown[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error(`output does not end with a newline: ${JSON.stringify(text.slice(-40))}`);
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

/** The preset on a file's bytes, fed in pieces of `piece` bytes (boundaries anywhere). */
export async function runBytes(bytes: Buffer, options: ReferenceOptions, piece = 5): Promise<unknown[]> {
  const p = createPipeline({ preset: 'langchain', ...options });
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += piece) pieces.push(bytes.subarray(i, i + piece));
  const out: string[] = [];
  await pipeline([Readable.from(pieces), ...p.streams, collector(out)]);
  return parseLines(out.join(''));
}

/** The preset on a folder, found the way the CLI finds it (resolveInputs with langchain). */
export async function runFolder(root: string, options: ReferenceOptions): Promise<unknown[]> {
  const sources = await resolveInputs([root], { langchain: true });
  const p = createPipeline({ preset: 'langchain', tokenizer: false, ...options });
  const out: string[] = [];
  await pipeline([Readable.from(tokenizeSources(sources)), ...p.streams, collector(out)]);
  return parseLines(out.join(''));
}
