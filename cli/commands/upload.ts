/**
 * `fbstream upload FILE.jsonl [--provider P] [--uploads] [--part-size MB] [--concurrency N] [--json]`:
 * a training file to the provider's files, through the provider's {@link Trainer} (lib/api/). The
 * file id is the command's data: stdout. Progress (on a terminal) and notices go to stderr.
 * Ctrl-C stops sending and keeps the record of the parts sent: the same command resumes.
 */
import type { Argv, CommandModule } from 'yargs';
import { resolveProvider } from '../../lib/api/provider.js';
import type { UploadedFile } from '../../lib/api/trainer.js';
import { API_OPTIONS, normalizeUploadOptions, UPLOAD_OPTIONS, type UploadOptions } from '../../lib/options.js';
import { addFlags, flagValues } from '../flags.js';
import { say, type Io } from '../io.js';
import { isEpipe, reportError, withSignals, writeStdout } from '../output.js';

export interface UploadArgs extends UploadOptions {
  file: string;
  json: boolean;
}

export function uploadCommand(io: Io, setExit: (code: number) => void): CommandModule<object, UploadArgs> {
  return {
    command: 'upload <file>',
    describe: 'Upload a training JSONL to the provider (OpenAI, Azure OpenAI, Together AI); prints its file id. Interrupted uploads in parts resume',
    builder: (y) => {
      const withFile = (y as Argv).positional('file', { describe: 'The JSONL file', type: 'string' });
      return addFlags(addFlags(withFile, API_OPTIONS), UPLOAD_OPTIONS).option('json', { describe: 'One JSON object on stdout: id, bytes, filename, via, resumedParts', type: 'boolean', default: false }) as unknown as Argv<UploadArgs>;
    },
    handler: async (args) => setExit(await runUpload(args, io)),
  };
}

export async function runUpload(args: UploadArgs, io: Io): Promise<number> {
  try {
    const options = normalizeUploadOptions({ ...flagValues(args, API_OPTIONS), ...flagValues(args, UPLOAD_OPTIONS) } as UploadOptions);
    const config = resolveProvider(options, io.env ?? process.env);
    const { createTrainer } = await import('../../lib/api/trainers.js'); // the SDKs load for API commands only
    const trainer = createTrainer(config);
    return await withSignals(io, async (signal) => {
      const progress = createUploadProgress(io);
      let file: UploadedFile;
      try {
        file = await trainer.upload({
          path: args.file,
          uploads: options.uploads,
          partSizeBytes: options.partSizeBytes,
          concurrency: options.concurrency,
          signal,
          onProgress: progress.update,
          onNotice: (line) => {
            progress.clear();
            say(io, line);
          },
        });
      } finally {
        progress.clear();
      }
      await writeStdout(io, args.json ? JSON.stringify({ id: file.id, bytes: file.bytes, filename: file.filename, via: file.via, resumedParts: file.resumedParts }) + '\n' : `${file.id}\n`);
      return 0;
    });
  } catch (err) {
    if (isEpipe(err)) return 0;
    return reportError(io, err);
  } finally {
    await (await import('../../lib/api/http.js')).closeDispatcher();
  }
}

/** `uploaded 192.0/600.0 MB (32%)` on one line of a terminal, at most a few times a second. */
function createUploadProgress(io: Io, now = () => Date.now()): { update(sent: number, total: number): void; clear(): void } {
  if (!io.stderrIsTTY) return { update() {}, clear() {} };
  let drawn = 0;
  let shown = false;
  return {
    update(sent, total) {
      if (sent < total && now() - drawn < 250) return;
      drawn = now();
      const mb = (n: number) => (n / 1e6).toFixed(1);
      io.stderr.write(`\r\x1b[Kuploaded ${mb(sent)}/${mb(total)} MB (${Math.floor((sent / total) * 100)}%)`);
      shown = true;
    },
    clear() {
      if (shown) io.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}
