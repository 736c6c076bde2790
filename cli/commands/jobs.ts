/**
 * `fbstream jobs list [--limit N] | show ID | follow ID [--poll S] | cancel ID`: the fine-tuning
 * jobs of a provider. The data (ids, the job, the fine-tuned model) goes to stdout; what happens
 * while following (status, events) to stderr. Ctrl-C while following leaves the job running and
 * says how to follow it again (exit 130). A job that ended failed or cancelled: exit 1.
 */
import type { Argv, CommandModule, Options } from 'yargs';
import { JobFailedError, showEntryName, UsageError } from '../../lib/errors.js';
import { integerIn, positiveAtLeast } from '../../lib/option-rules.js';
import { API_OPTIONS, normalizeApiOptions, TRAIN_OPTIONS, type Provider } from '../../lib/options.js';
import type { FineTuneJob, JobEvent } from '../../lib/api/trainer.js';
import { say, type Io } from '../io.js';
import { isEpipe, reportError, withSignals, writeStdout } from '../output.js';

const ACTIONS = ['list', 'show', 'follow', 'cancel'] as const;

export interface JobsArgs {
  action: (typeof ACTIONS)[number];
  id?: string;
  limit: number;
  poll: number;
  provider: Provider;
  timeout: number;
  maxRetries: number;
  json: boolean;
}

export function jobsCommand(io: Io, setExit: (code: number) => void): CommandModule<object, JobsArgs> {
  return {
    command: 'jobs <action> [id]',
    describe: 'Fine-tuning jobs: list, show ID, follow ID (status and events until it ends; prints the fine-tuned model), cancel ID',
    builder: (y) => {
      let out = (y as Argv)
        .positional('action', { describe: 'What to do', choices: ACTIONS, type: 'string' })
        .positional('id', { describe: 'The job id (show, follow, cancel)', type: 'string' });
      for (const [name, o] of Object.entries(API_OPTIONS)) {
        const spec: Options = { describe: o.describe, type: o.type, default: o.default, requiresArg: true };
        if ('choices' in o) spec.choices = [...o.choices];
        out = out.option(name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), spec);
      }
      return out
        .option('limit', { describe: 'Jobs listed, newest first (1 to 100)', type: 'number', default: 20, requiresArg: true })
        .option('poll', { describe: TRAIN_OPTIONS.poll.describe, type: 'number', default: TRAIN_OPTIONS.poll.default, requiresArg: true })
        .option('json', { describe: 'JSON on stdout', type: 'boolean', default: false })
        .example('$0 jobs list --provider azure', 'The newest jobs')
        .example('$0 jobs follow ftjob-abc123', 'Events until it ends, then the fine-tuned model on stdout') as unknown as Argv<JobsArgs>;
    },
    handler: async (args) => setExit(await runJobs(args, io)),
  };
}

export async function runJobs(args: JobsArgs, io: Io): Promise<number> {
  try {
    const api = normalizeApiOptions({ provider: args.provider, timeout: args.timeout, maxRetries: args.maxRetries });
    const limit = integerIn('limit', args.limit, 1, 100);
    const pollMs = positiveAtLeast('poll', args.poll, 1, 'a number of seconds >= 1') * 1000;
    if (args.action !== 'list' && (args.id === undefined || args.id.trim() === '')) throw new UsageError(`fbstream jobs ${args.action} needs the job id`);
    const id = args.id?.trim() ?? '';
    // loaded on use: the SDK is not needed to start every command
    const { resolveProvider } = await import('../../lib/api/provider.js');
    const config = resolveProvider(api, io.env ?? process.env);
    const { createTrainer } = await import('../../lib/api/trainers.js');
    const trainer = createTrainer(config);
    return await withSignals(io, async (signal) => {
      switch (args.action) {
        case 'list': {
          const jobs = await trainer.listJobs(limit, signal);
          if (!args.json && jobs.length === 0) say(io, `no fine-tuning jobs at ${config.provider}`);
          await writeStdout(io, args.json ? JSON.stringify(jobs, null, 2) + '\n' : listText(jobs));
          return 0;
        }
        case 'show': {
          const job = await trainer.getJob(id, signal);
          await writeStdout(io, args.json ? JSON.stringify(job, null, 2) + '\n' : jobText(job));
          return 0;
        }
        case 'cancel': {
          const job = await trainer.cancelJob(id, signal);
          await writeStdout(io, args.json ? JSON.stringify(job, null, 2) + '\n' : `${job.id} ${job.status}\n`);
          return 0;
        }
        case 'follow':
          return await follow(io, args, id, pollMs, signal, trainer);
      }
    });
  } catch (err) {
    if (isEpipe(err)) return 0;
    return reportError(io, err);
  } finally {
    const { closeDispatcher } = await import('../../lib/api/http.js');
    await closeDispatcher();
  }
}

async function follow(io: Io, args: JobsArgs, id: string, pollMs: number, signal: AbortSignal, trainer: import('../../lib/api/trainer.js').Trainer): Promise<number> {
  const { followJob } = await import('../../lib/api/follow.js');
  let job: FineTuneJob;
  try {
    job = await followJob(trainer, id, {
      pollMs,
      signal,
      onEvent: (event) => io.stderr.write(eventLine(event)),
      onStatus: (j) => say(io, `job ${j.id}: ${statusText(j)}`),
    });
  } catch (err) {
    if (signal.aborted) say(io, `stopped following; the job goes on. Follow it again: fbstream jobs follow ${id} --provider ${trainer.provider}`);
    throw err;
  }
  if (args.json) await writeStdout(io, JSON.stringify(job, null, 2) + '\n');
  if (job.status !== 'succeeded') throw new JobFailedError(`the job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ''}`);
  if (!args.json) await writeStdout(io, `${job.fineTunedModel ?? ''}\n`);
  return 0;
}

const clean = (text: string) => showEntryName(text);
const timeOf = (seconds: number) => (seconds > 0 ? new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19) : '-');

export function eventLine(e: JobEvent): string {
  return `${timeOf(e.createdAt)} ${clean(e.level)}: ${clean(e.message)}\n`;
}

function statusText(job: FineTuneJob): string {
  return job.providerStatus === job.status ? job.status : `${job.status} (${clean(job.providerStatus)})`;
}

export function jobText(job: FineTuneJob): string {
  const rows: [string, string | null][] = [
    ['id', job.id],
    ['status', statusText(job)],
    ['model', job.model],
    ['training file', job.trainingFile],
    ['validation file', job.validationFile],
    ['suffix', job.suffix],
    ['fine-tuned model', job.fineTunedModel],
    ['error', job.error],
    ['created', `${timeOf(job.createdAt)} UTC`],
  ];
  return rows.filter(([, v]) => v !== null).map(([k, v]) => `${`${k}:`.padEnd(18)}${clean(v!)}\n`).join('');
}

export function listText(jobs: readonly FineTuneJob[]): string {
  const rows = jobs.map((j) => [j.id, j.status, j.model, j.fineTunedModel ?? '-', timeOf(j.createdAt)].map(clean));
  const widths = [0, 1, 2, 3].map((c) => Math.max(0, ...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((v, c) => (c < 4 ? v.padEnd(widths[c]!) : v)).join('  ') + '\n').join('');
}
