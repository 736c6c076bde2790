/**
 * A fake of the parts of Together AI's API fbstream uses, on 127.0.0.1: the upload through a signed
 * URL (`POST /files` → 302 to `/signed/ID?sig=…` on this same server, which refuses a key and keeps
 * the bytes on disk; `POST /files/{id}/preprocess`; `GET /files/{id}`; a 409 for a checksum it holds
 * already), fine-tunes (create, list unfiltered, retrieve with a scripted life, events oldest first,
 * cancel), the multipart upload of big files (initiate, signed part URLs, complete, abort) and a
 * no-credits mode. State is public so tests can look at it and bend it.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { sendJson, startFakeServer, type FakeServer, type Route, type RouteContext } from './server.js';

export interface FakeTogetherFile {
  id: string; filename: string; purpose: string; file_type: string; checksum: string | null;
  /** Set once the PUT arrived. */
  bytes: number | null;
  processed: boolean;
  created_at: number;
  sig: string;
}
export interface FakeTogetherJob {
  id: string; status: string; model: string; training_file: string; validation_file: string | null;
  model_output_name: string; created_at: string; updated_at: string; n_epochs: number | null;
  learning_rate: number | null; batch_size: number | string | null; training_type: unknown; random_seed: number | null;
  events: { object: 'fine-tune-event'; created_at: string; level: string; message: string; type: string; hash: string }[];
  /** The suffix asked for (kept here only: Together's answers carry it in model_output_name). */
  suffix: string | null;
  /** Statuses still to come, one per retrieve. */
  script: string[];
}

export interface FakeMultipart {
  id: string; file_id: string; num_parts: number; status: 'pending' | 'completed' | 'aborted'; sig: string;
  /** Part number → where its bytes are and the ETag answered. */
  parts: Map<number, { path: string; etag: string }>;
}

export interface FakeTogetherOptions {
  /** Statuses a new job goes through, one per retrieve. Default queued, running, uploading, completed. */
  jobScript?: string[];
  /** The key accepted. Default: any non-empty. */
  apiKey?: string;
  /** Every `POST /files` and `POST /fine-tunes` answers 401, as Together does when the credits are gone. */
  noCredits?: boolean;
  /** Called as a job is made (before its answer goes out): a test adds another client's job here. */
  onJobCreated?: (job: FakeTogetherJob) => void;
}

export interface FakeTogether extends FakeServer {
  files: Map<string, FakeTogetherFile>;
  jobs: Map<string, FakeTogetherJob>;
  multiparts: Map<string, FakeMultipart>;
  /** `TOGETHER_BASE_URL`. */
  baseURL: string;
  /** The bytes a file's PUT delivered. */
  fileBytes(id: string): Promise<Buffer>;
}

const err = (message: string, type = 'invalid_request_error', code: string | null = null) => ({ error: { message, type, param: null, code } });
const iso = () => new Date().toISOString();

export async function startFakeTogether(options: FakeTogetherOptions = {}): Promise<FakeTogether> {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-fake-together-'));
  const files = new Map<string, FakeTogetherFile>();
  const jobs = new Map<string, FakeTogetherJob>();
  const multiparts = new Map<string, FakeMultipart>();
  let origin = '';

  const authorized = (ctx: RouteContext) => {
    const key = ctx.log.headers.authorization?.replace(/^Bearer /, '');
    return key !== undefined && key !== '' && (options.apiKey === undefined || key === options.apiKey);
  };
  const route = (method: string, path: RegExp, handle: Route['handle']): Route => ({
    method, path,
    handle: async (req, res, ctx) => {
      if (!authorized(ctx)) {
        await ctx.body();
        return sendJson(res, 401, err('Invalid API key provided', 'invalid_request_error', 'invalid_api_key'));
      }
      return handle(req, res, ctx);
    },
  });
  const fileView = (f: FakeTogetherFile) => ({
    id: f.id, object: 'file', filename: f.filename, purpose: f.purpose, bytes: f.bytes ?? 0,
    FileType: f.file_type, Processed: f.processed, LineCount: 0, created_at: f.created_at,
  });
  const jobView = ({ script: _s, suffix: _x, ...job }: FakeTogetherJob) => job;
  const addEvent = (job: FakeTogetherJob, message: string, type: string, level = 'info') =>
    job.events.push({ object: 'fine-tune-event', created_at: iso(), level, message, type, hash: randomBytes(8).toString('hex') });
  const noCredits = (res: Parameters<Route['handle']>[1]) =>
    sendJson(res, 401, err('This job would exceed your free trial credits. Please upgrade to a paid account through Settings -> Billing on api.together.ai to continue.', 'invalid_request_error', 'insufficient_credits'));

  const routes: Route[] = [
    route('POST', /^\/files$/, async (_req, res, ctx) => {
      const type = ctx.log.headers['content-type'] ?? '';
      const form = await new Response(await ctx.body(), { headers: { 'content-type': type } }).formData().catch(() => undefined);
      if (options.noCredits) return noCredits(res);
      const field = (name: string) => {
        const v = form?.get(name);
        return typeof v === 'string' ? v : undefined;
      };
      const purpose = field('purpose');
      const filename = field('file_name');
      const fileType = field('file_type') ?? 'jsonl';
      if (purpose !== 'fine-tune' || !filename) return sendJson(res, 400, err('purpose (fine-tune) and file_name are required form fields'));
      const checksum = field('checksum') ?? null;
      const same = checksum === null ? undefined : [...files.values()].find((f) => f.checksum === checksum && f.bytes !== null);
      if (same) return sendJson(res, 409, { message: 'File already exists', file_id: same.id });
      const file: FakeTogetherFile = {
        id: `file-${randomUUID()}`, filename, purpose, file_type: fileType, checksum, bytes: null, processed: false,
        created_at: Math.floor(Date.now() / 1000), sig: randomBytes(8).toString('hex'),
      };
      files.set(file.id, file);
      res.writeHead(302, { location: `${origin}/signed/${file.id}?sig=${file.sig}`, 'x-together-file-id': file.id, 'content-length': 0 });
      res.end();
    }),
    // the signed URL: no key wanted (S3 and R2 refuse a second way of authenticating)
    {
      method: 'PUT', path: /^\/signed\/([^/]+)$/,
      handle: async (req, res, ctx) => {
        const file = files.get(ctx.params[0]!);
        if (ctx.log.headers.authorization !== undefined) {
          await ctx.body();
          return sendJson(res, 400, { error: 'InvalidArgument: only one auth mechanism allowed; the signed URL carries its own' });
        }
        if (!file || ctx.query.get('sig') !== file.sig) return (await ctx.body(), sendJson(res, 403, { error: 'SignatureDoesNotMatch' }));
        if (ctx.log.headers['content-length'] === undefined) return (await ctx.body(), sendJson(res, 411, { error: 'MissingContentLength' }));
        const path = join(dir, file.id);
        await pipeline(req, createWriteStream(path));
        file.bytes = statSync(path).size;
        ctx.log.bodyBytes = file.bytes;
        res.writeHead(200, { etag: `"${randomBytes(8).toString('hex')}"`, 'content-length': 0 });
        res.end();
      },
    },
    route('POST', /^\/files\/multipart\/initiate$/, async (_req, res, ctx) => {
      const body = await ctx.json<{ file_name?: string; file_size?: number; num_parts?: number; purpose?: string; file_type?: string; checksum?: string }>();
      if (body.purpose !== 'fine-tune' || !body.file_name || !(Number(body.num_parts) >= 1) || !(Number(body.file_size) > 0)) {
        return sendJson(res, 400, err('file_name, file_size, num_parts and purpose (fine-tune) are required'));
      }
      const same = [...files.values()].find((f) => body.checksum !== undefined && f.checksum === body.checksum && f.bytes !== null);
      if (same) return sendJson(res, 409, { message: 'File already exists', file_id: same.id });
      const file: FakeTogetherFile = {
        id: `file-${randomUUID()}`, filename: body.file_name, purpose: body.purpose, file_type: body.file_type ?? 'jsonl', checksum: body.checksum ?? null,
        bytes: null, processed: false, created_at: Math.floor(Date.now() / 1000), sig: '',
      };
      files.set(file.id, file);
      const upload: FakeMultipart = { id: `upload-${randomBytes(6).toString('hex')}`, file_id: file.id, num_parts: Number(body.num_parts), status: 'pending', sig: randomBytes(8).toString('hex'), parts: new Map() };
      multiparts.set(upload.id, upload);
      const parts = Array.from({ length: upload.num_parts }, (_, i) => ({
        PartNumber: i + 1, URL: `${origin}/signed-part/${upload.id}/${i + 1}?sig=${upload.sig}`, Headers: { 'x-amz-checksum-fake': 'yes' },
      }));
      sendJson(res, 200, { upload_id: upload.id, file_id: file.id, parts });
    }),
    {
      method: 'PUT', path: /^\/signed-part\/([^/]+)\/(\d+)$/,
      handle: async (req, res, ctx) => {
        const upload = multiparts.get(ctx.params[0]!);
        const n = Number(ctx.params[1]);
        if (ctx.log.headers.authorization !== undefined) return (await ctx.body(), sendJson(res, 400, { error: 'InvalidArgument: only one auth mechanism allowed' }));
        if (!upload || ctx.query.get('sig') !== upload.sig || n > upload.num_parts) return (await ctx.body(), sendJson(res, 403, { error: 'SignatureDoesNotMatch' }));
        if (upload.status !== 'pending') return (await ctx.body(), sendJson(res, 404, { error: 'NoSuchUpload' }));
        if (ctx.log.headers['content-length'] === undefined) return (await ctx.body(), sendJson(res, 411, { error: 'MissingContentLength' }));
        const path = join(dir, `${upload.id}-${n}`);
        await pipeline(req, createWriteStream(path));
        ctx.log.bodyBytes = statSync(path).size;
        const etag = randomBytes(8).toString('hex');
        upload.parts.set(n, { path, etag });
        res.writeHead(200, { etag: `"${etag}"`, 'content-length': 0 });
        res.end();
      },
    },
    route('POST', /^\/files\/multipart\/complete$/, async (_req, res, ctx) => {
      const body = await ctx.json<{ upload_id?: string; file_id?: string; parts?: { part_number: number; etag: string }[] }>();
      const upload = multiparts.get(String(body.upload_id));
      if (!upload || upload.status !== 'pending' || upload.file_id !== body.file_id) return sendJson(res, 404, err(`NoSuchUpload: ${String(body.upload_id)}`));
      const listed = body.parts ?? [];
      const whole = listed.length === upload.num_parts && listed.every((p, i) => p.part_number === i + 1 && upload.parts.get(i + 1)?.etag === p.etag);
      if (!whole) return sendJson(res, 400, err('InvalidPart: the parts listed are not the parts uploaded, in order'));
      const target = join(dir, upload.file_id);
      const out = createWriteStream(target);
      for (let n = 1; n <= upload.num_parts; n++) await pipeline(createReadStream(upload.parts.get(n)!.path), out, { end: n === upload.num_parts });
      const file = files.get(upload.file_id)!;
      file.bytes = statSync(target).size;
      file.processed = true;
      upload.status = 'completed';
      sendJson(res, 200, { file: fileView(file) });
    }),
    route('POST', /^\/files\/multipart\/abort$/, async (_req, res, ctx) => {
      const body = await ctx.json<{ upload_id?: string }>();
      const upload = multiparts.get(String(body.upload_id));
      if (!upload) return sendJson(res, 404, err(`NoSuchUpload: ${String(body.upload_id)}`));
      if (upload.status === 'pending') upload.status = 'aborted';
      sendJson(res, 200, { upload_id: upload.id, status: upload.status });
    }),
    route('POST', /^\/files\/([^/]+)\/preprocess$/, async (_req, res, ctx) => {
      await ctx.body();
      const file = files.get(ctx.params[0]!);
      if (!file) return sendJson(res, 404, err(`File ${ctx.params[0]} not found`));
      if (file.bytes === null) return sendJson(res, 400, err(`File ${file.id} has no content: its upload did not arrive`));
      file.processed = true;
      sendJson(res, 200, fileView(file));
    }),
    route('GET', /^\/files\/([^/]+)$/, (_req, res, ctx) => {
      const file = files.get(ctx.params[0]!);
      if (!file) return sendJson(res, 404, err(`File ${ctx.params[0]} not found`));
      sendJson(res, 200, fileView(file));
    }),
    route('POST', /^\/fine-tunes$/, async (_req, res, ctx) => {
      const body = await ctx.json<Record<string, unknown>>();
      if (options.noCredits) return noCredits(res);
      const training = files.get(String(body.training_file));
      if (!training?.processed) return sendJson(res, 400, err(`training_file ${String(body.training_file)} is not a processed file`));
      if (typeof body.model !== 'string' || body.model === '') return sendJson(res, 400, err('model is required'));
      const suffix = typeof body.suffix === 'string' ? body.suffix : null;
      if (suffix !== null && suffix.length > 40) return sendJson(res, 400, err('suffix must be at most 40 characters'));
      const tag = randomBytes(4).toString('hex');
      const job: FakeTogetherJob = {
        id: `ft-${randomUUID()}`, status: 'pending', model: body.model, training_file: training.id,
        validation_file: (body.validation_file as string | undefined) ?? null,
        model_output_name: `fake-user/${body.model.split('/').pop()}${suffix ? `-${suffix}` : ''}-${tag}`,
        created_at: iso(), updated_at: iso(), n_epochs: (body.n_epochs as number | undefined) ?? 1,
        learning_rate: (body.learning_rate as number | undefined) ?? 0.00001, batch_size: (body.batch_size as number | undefined) ?? 'max',
        training_type: body.training_type ?? { type: 'Lora', lora_r: 8, lora_alpha: 16, lora_dropout: 0, lora_trainable_modules: 'all-linear' },
        random_seed: (body.random_seed as number | undefined) ?? null,
        events: [], suffix, script: [...(options.jobScript ?? ['queued', 'running', 'uploading', 'completed'])],
      };
      addEvent(job, 'Fine tune request created', 'JOB_PENDING');
      jobs.set(job.id, job);
      options.onJobCreated?.(job);
      sendJson(res, 200, jobView(job));
    }),
    route('GET', /^\/fine-tunes$/, (_req, res) => sendJson(res, 200, { data: [...jobs.values()].map(jobView) })),
    route('GET', /^\/fine-tunes\/([^/]+)$/, (_req, res, ctx) => {
      const job = jobs.get(ctx.params[0]!);
      if (!job) return sendJson(res, 404, err(`Fine-tune job ${ctx.params[0]} not found`));
      const next = job.status === 'cancel_requested' ? 'cancelled' : job.script.shift();
      if (next !== undefined) {
        job.status = next;
        job.updated_at = iso();
        if (next === 'error') addEvent(job, 'Training failed: the dataset has no valid examples', 'JOB_ERROR', 'error');
        else addEvent(job, `Job ${next}`, `JOB_${next.toUpperCase()}`);
      }
      sendJson(res, 200, jobView(job));
    }),
    route('GET', /^\/fine-tunes\/([^/]+)\/events$/, (_req, res, ctx) => {
      const job = jobs.get(ctx.params[0]!);
      if (!job) return sendJson(res, 404, err(`Fine-tune job ${ctx.params[0]} not found`));
      sendJson(res, 200, { data: job.events });
    }),
    route('POST', /^\/fine-tunes\/([^/]+)\/cancel$/, async (_req, res, ctx) => {
      await ctx.body();
      const job = jobs.get(ctx.params[0]!);
      if (!job) return sendJson(res, 404, err(`Fine-tune job ${ctx.params[0]} not found`));
      if (['completed', 'error', 'cancelled'].includes(job.status)) return sendJson(res, 400, err(`Job ${job.id} is ${job.status}: it cannot be cancelled`));
      if (job.status !== 'cancel_requested') {
        job.status = 'cancel_requested';
        job.script = [];
        addEvent(job, 'Cancel requested', 'CANCEL_REQUESTED');
      }
      sendJson(res, 200, jobView(job));
    }),
  ];

  const server = await startFakeServer(routes, { stripPrefix: /^\/v1(?=\/)/ });
  origin = server.origin;
  const close = server.close;
  return Object.assign(server, {
    files, jobs, multiparts,
    baseURL: `${server.origin}/v1`,
    fileBytes: (id: string) => readFile(join(dir, id)),
    close: async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** The sha256 a client sends as `checksum`. */
export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
