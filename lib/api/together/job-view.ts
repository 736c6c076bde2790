/**
 * Together AI's fine-tune records in fbstream's shapes (lib/api/trainer.ts), and the search for the
 * job a create made when its answer was lost. Pure: no I/O.
 */
import type { FineTuneJob, JobEvent, JobStatus } from '../trainer.js';

/** A job as `GET /fine-tunes/{id}` and `GET /fine-tunes` send it (the fields fbstream reads). */
export interface TogetherJob {
  id: string;
  status?: string | null;
  model?: string | null;
  training_file?: string | null;
  validation_file?: string | null;
  /** Not in Together's spec; read when present. The suffix shows in `model_output_name`. */
  suffix?: string | null;
  model_output_name?: string | null;
  /** ISO date (seconds since the epoch also read). */
  created_at?: string | number | null;
  events?: TogetherEvent[] | null;
  error?: unknown;
}

export interface TogetherEvent {
  created_at?: string | number | null;
  level?: string | null;
  message?: string | null;
  type?: string | null;
  /** Together's own event id, when it sends one. */
  hash?: string | null;
}

const STATUS: Record<string, JobStatus> = {
  pending: 'queued',
  queued: 'queued',
  running: 'running',
  compressing: 'running',
  uploading: 'running',
  completed: 'succeeded',
  error: 'failed',
  user_error: 'failed',
  failed: 'failed',
  cancel_requested: 'cancelled',
  cancelled: 'cancelled',
};

/** Together's status word on fbstream's scale; a word not known yet counts as still running. */
export function jobStatusOf(word: string): JobStatus {
  const w = word.toLowerCase();
  return STATUS[w] ?? (/error|fail/.test(w) ? 'failed' : /cancel/.test(w) ? 'cancelled' : 'running');
}

export function jobOf(raw: TogetherJob): FineTuneJob {
  const providerStatus = raw.status ?? 'unknown';
  const status = jobStatusOf(providerStatus);
  return {
    id: raw.id,
    status,
    providerStatus,
    model: raw.model ?? '',
    trainingFile: raw.training_file ?? '',
    validationFile: raw.validation_file || null,
    suffix: raw.suffix || null,
    fineTunedModel: status === 'succeeded' ? raw.model_output_name || null : null,
    error: status === 'failed' ? errorOf(raw) : null,
    createdAt: secondsOf(raw.created_at),
  };
}

/** Oldest first, each with an id that stays the same from one listing to the next. */
export function eventsOf(raw: readonly TogetherEvent[]): JobEvent[] {
  const ordered = raw
    .map((e, i) => ({ e, i, at: secondsOf(e.created_at) }))
    .sort((a, b) => a.at - b.at || a.i - b.i);
  return ordered.map(({ e, at }, position) => ({
    // Together's events have no id of their own (a hash at best): their place in the list is one
    id: e.hash || `event-${position + 1}`,
    createdAt: at,
    level: (e.level || 'info').replace(/^legacy_i?/, ''),
    message: e.message || e.type || '',
  }));
}

/** The events after `afterId` (all of them when it is null or no longer listed). */
export function eventsAfter(events: readonly JobEvent[], afterId: string | null): JobEvent[] {
  if (afterId === null) return [...events];
  const at = events.findIndex((e) => e.id === afterId);
  return at === -1 ? [...events] : events.slice(at + 1);
}

export interface CreatedJobQuery {
  trainingFile: string;
  model: string;
  suffix: string | null;
}

/**
 * The jobs not in `before` that a create of `query` could have made. Together returns no suffix
 * field: it is looked for in the output model's name, which carries it.
 */
export function newJobsMatching(jobs: readonly TogetherJob[], before: ReadonlySet<string>, query: CreatedJobQuery): TogetherJob[] {
  return jobs.filter((j) => {
    if (before.has(j.id) || j.training_file !== query.trainingFile) return false;
    if (typeof j.model === 'string' && j.model.toLowerCase() !== query.model.toLowerCase()) return false;
    if (query.suffix === null) return true;
    if (typeof j.suffix === 'string') return j.suffix === query.suffix;
    return typeof j.model_output_name !== 'string' || j.model_output_name.includes(query.suffix);
  });
}

/** `GET /fine-tunes` answers `{ data: [...] }` (a bare array also read). */
export function jobListOf(body: unknown): TogetherJob[] {
  const list = Array.isArray(body) ? body : (body as { data?: unknown } | null)?.data;
  return Array.isArray(list) ? (list as TogetherJob[]).filter((j) => typeof j?.id === 'string') : [];
}

function errorOf(raw: TogetherJob): string {
  if (typeof raw.error === 'string' && raw.error !== '') return raw.error;
  const message = (raw.error as { message?: unknown } | null | undefined)?.message;
  if (typeof message === 'string' && message !== '') return message;
  const last = [...(raw.events ?? [])].reverse().find((e) => /error/i.test(`${e.level ?? ''} ${e.type ?? ''}`) && e.message);
  return last?.message ?? `Together AI reported status ${raw.status ?? 'unknown'} (its events may say why)`;
}

function secondsOf(v: string | number | null | undefined): number {
  if (typeof v === 'number') return Math.floor(v > 1e12 ? v / 1000 : v);
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  return 0;
}
