/**
 * `fbstream train FILE.jsonl --model M [--validation FILE] [--wait] …`: check, upload and start one
 * fine-tuning job (the work is lib/api/train.ts); this file parses and prints. stdout gets the job
 * id, or with `--wait` the fine-tuned model (`--json`: one object); everything else goes to stderr.
 * Ctrl-C while waiting stops following, leaves the job running and says how to follow it again.
 */
import type { Argv, CommandModule } from 'yargs';
import { resolveProvider, type ProviderConfig } from '../../lib/api/provider.js';
import type { FineTuneResult, FineTuneStep } from '../../lib/api/train.js';
import type { FineTuneJob, JobEvent } from '../../lib/api/trainer.js';
import { API_OPTIONS, normalizeTrainOptions, TRAIN_OPTIONS, UPLOAD_OPTIONS, type NormalizedTrainOptions, type TrainOptions } from '../../lib/options.js';
import { addFlags, flagValues } from '../flags.js';
import { say, type Io } from '../io.js';
import { reportError, withSignals, writeStdout } from '../output.js';

export interface TrainArgs extends TrainOptions {
  file: string;
  json: boolean;
}

const FLAGS = { ...TRAIN_OPTIONS, ...API_OPTIONS, ...UPLOAD_OPTIONS };

export function trainCommand(io: Io, setExit: (code: number) => void): CommandModule<object, TrainArgs> {
  return {
    command: 'train <file>',
    describe: 'Check a JSONL of chat examples, upload it and start one fine-tuning job (--wait: follow it and print the fine-tuned model)',
    builder: (y) =>
      addFlags((y as Argv).positional('file', { describe: 'The training JSONL', type: 'string' }), FLAGS)
        .option('json', { describe: 'One JSON object on stdout (id, status, model, training_file, fine_tuned_model, …)', type: 'boolean', default: false }) as unknown as Argv<TrainArgs>,
    handler: async (args) => setExit(await runTrain(args, io)),
  };
}

export async function runTrain(args: TrainArgs, io: Io): Promise<number> {
  try {
    const options = normalizeTrainOptions(flagValues(args, FLAGS) as unknown as TrainOptions);
    const config = resolveProvider(options, io.env ?? process.env);
    return await withSignals(io, (signal) => trainAndPrint(io, { file: args.file, options, config, json: args.json, signal }));
  } catch (err) {
    return reportError(io, err);
  } finally {
    await (await import('../../lib/api/http.js')).closeDispatcher();
  }
}

export interface TrainRun {
  file: string;
  options: NormalizedTrainOptions;
  config: ProviderConfig;
  json: boolean;
  signal: AbortSignal;
  /** Tokens per example for the check of a model outside the token table. */
  maxTokens?: number;
  /** How messages name the files (the one go's temporary files). */
  labels?: { training?: string; validation?: string };
}

/**
 * The fine-tuning run of `train` and of a conversion with `--train`: notices and events on stderr,
 * the result on stdout; exit 0, or the error's code. An interruption after the job was created
 * says how to follow it again, then rejects (withSignals turns that into 130/143/129).
 */
export async function trainAndPrint(io: Io, run: TrainRun): Promise<number> {
  const { options, config } = run;
  const follow = (id: string) => `fbstream jobs follow ${id} --provider ${config.provider}`;
  const progress = uploadProgress(io);
  // where an interruption found the run: the step, and the job once created
  const created: { job: FineTuneJob | null; step: FineTuneStep } = { job: null, step: 'check' };
  try {
    const { startFineTune } = await import('../../lib/api/train.js'); // the SDKs load for API commands only
    const result = await startFineTune({
      file: run.file,
      options,
      config,
      signal: run.signal,
      ...(run.maxTokens !== undefined && { maxTokens: run.maxTokens }),
      ...(run.labels !== undefined && { labels: run.labels }),
      onStep: (step) => (created.step = step),
      onNotice: (line) => say(io, line),
      onProgress: progress,
      onJob: (job) => {
        created.job = job;
        say(io, `job ${job.id} created (${job.model}, training file ${job.trainingFile})${options.wait ? ': following it (Ctrl-C stops following, the job goes on)' : `: follow it with ${follow(job.id)}`}`);
      },
      onStatus: (job) => say(io, `status: ${job.providerStatus}`),
      onEvent: (event) => say(io, eventLine(event)),
    });
    await writeStdout(io, resultText(result, config.provider, run.json, options.wait));
    return 0;
  } catch (err) {
    const { job } = created;
    if (run.signal.aborted) {
      if (job !== null) say(io, `stopped following; the job ${job.id} goes on. Follow it again: ${follow(job.id)}`);
      else if (created.step === 'create') say(io, `interrupted while the job was being created: it may exist; look with fbstream jobs list --provider ${config.provider} before starting another`);
      else if (created.step === 'upload') say(io, 'interrupted during the upload: no job was started (the same command sends only what is missing of an upload in parts)');
      throw err;
    }
    return reportError(io, err);
  }
}

function resultText(r: FineTuneResult, provider: string, json: boolean, waited: boolean): string {
  const j = r.job;
  if (json) {
    return JSON.stringify({
      id: j.id, status: j.status, provider, model: j.model, training_file: j.trainingFile, validation_file: j.validationFile,
      suffix: j.suffix, fine_tuned_model: j.fineTunedModel, run_tag: r.runTag,
    }, null, 2) + '\n';
  }
  return `${waited ? (r.fineTunedModel ?? '') : j.id}\n`;
}

function eventLine(e: JobEvent): string {
  const at = new Date(e.createdAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `${at} ${e.level}: ${e.message}`;
}

/** On a terminal: the share of each file sent, in whole percents. Elsewhere nothing (logs stay clean). */
function uploadProgress(io: Io): ((file: string, sent: number, total: number) => void) | undefined {
  if (!io.stderrIsTTY) return undefined;
  let shown = '';
  return (file, sent, total) => {
    const percent = total > 0 ? Math.floor((sent / total) * 100) : 100;
    const line = `uploading ${file}: ${percent}% of ${(total / 1024 / 1024).toFixed(1)} MB`;
    if (line === shown) return;
    shown = line;
    io.stderr.write(`\rfbstream: ${line}\x1b[K${sent >= total ? '\n' : ''}`);
  };
}
