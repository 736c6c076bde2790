/** Thread files through the ordinary one-pipeline path (lib/pipeline.ts over tokenizeSources). */
import type { StageOptions } from '../../lib/options.js';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createPipeline } from '../../lib/pipeline.js';
import { fileSource, tokenizeSources } from '../../lib/sources/files.js';

export async function reference(paths: string[], options: StageOptions): Promise<string> {
  const p = createPipeline({ ...options, tokenizer: false });
  let text = '';
  const sink = new Writable({ objectMode: true, write: (s: string, _e, cb) => ((text += s), cb()) });
  await pipeline([Readable.from(tokenizeSources(paths.map(fileSource))), ...p.streams, sink]);
  return text;
}
