/**
 * A fake of the parts of OpenAI's API fbstream uses (the same paths serve Azure, under `/openai`):
 * files, uploads and parts (kept on disk, so a 600 MB upload costs the test no memory), fine-tuning
 * jobs with events and a scripted life, models with shutdown dates, and chat completions (an echo,
 * streamed or not). State is public so tests can look at it and bend it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendJson, startFakeServer, type FakeServer, type RouteContext, type Route } from './server.js';

export interface FakeFile { id: string; object: 'file'; bytes: number; filename: string; purpose: string; status: 'processed'; created_at: number; md5: string }
export interface FakeUpload {
  id: string; object: 'upload'; bytes: number; filename: string; purpose: string; mime_type: string;
  status: 'pending' | 'completed' | 'cancelled' | 'expired'; created_at: number; expires_at: number;
  file: FakeFile | null;
  /** Part id → where its bytes are, and how many. */
  parts: Map<string, { path: string; bytes: number }>;
}
export interface FakeJob {
  id: string; object: 'fine_tuning.job'; model: string; training_file: string; validation_file: string | null;
  suffix: string | null; seed: number; metadata: Record<string, string> | null; status: string;
  fine_tuned_model: string | null; error: { code: string; message: string; param: string | null } | null;
  created_at: number; finished_at: number | null; method: unknown; hyperparameters: unknown;
  events: { id: string; object: 'fine_tuning.job.event'; created_at: number; level: string; message: string; type: 'message' }[];
  /** Statuses still to come, one per retrieve. */
  script: string[];
}

export interface FakeOpenAIOptions {
  /** Statuses a new job goes through, one per `retrieve`. Default validating_files, running, succeeded. */
  jobScript?: string[];
  /** Statuses a new file answers its retrieves with, one each, the last one kept (`['pending', 'error']`). Default: processed. */
  fileScript?: string[];
  /** Shutdown dates by model id. */
  shutdownDates?: Record<string, string>;
  /** A 403 to every job create, as OpenAI answers an organisation it no longer fine-tunes for. */
  refuseFineTuning?: boolean;
  /** Keys accepted (Bearer for OpenAI, `api-key` for Azure). Default: any non-empty. */
  apiKey?: string;
  /** A streamed chat reply broken after this many pieces: the connection reset, the stream ended without finishing, no more data, or an error in the stream. */
  chatStreamFault?: { afterPieces: number; fault: 'reset' | 'end' | 'stall' | 'error' };
}

export interface FakeOpenAI extends FakeServer {
  files: Map<string, FakeFile>;
  uploads: Map<string, FakeUpload>;
  jobs: Map<string, FakeJob>;
  /** `OPENAI_BASE_URL` for the openai provider. */
  baseURL: string;
  /** `AZURE_OPENAI_ENDPOINT` for the azure provider. */
  endpoint: string;
  /** The bytes of a file that came in whole or was completed from parts. */
  fileBytes(id: string): Promise<Buffer>;
  /** Makes an upload expire now, as an hour passing would. */
  expire(uploadId: string): void;
  /** Chat requests received (their bodies). */
  chats: Record<string, unknown>[];
}

const now = () => Math.floor(Date.now() / 1000);
const newId = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;
const err = (message: string, type = 'invalid_request_error', code: string | null = null) => ({ error: { message, type, param: null, code } });

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-fake-openai-'));
  const files = new Map<string, FakeFile>();
  const uploads = new Map<string, FakeUpload>();
  const jobs = new Map<string, FakeJob>();
  const chats: Record<string, unknown>[] = [];
  const filePaths = new Map<string, string[]>();
  const fileScripts = new Map<string, string[]>();

  const authorized = (ctx: RouteContext) => {
    const h = ctx.log.headers;
    const key = (typeof h['api-key'] === 'string' ? h['api-key'] : undefined) ?? h.authorization?.replace(/^Bearer /, '');
    return key !== undefined && key !== '' && (options.apiKey === undefined || key === options.apiKey);
  };
  const guard = (handle: Route['handle']): Route['handle'] => async (req, res, ctx) => {
    if (!authorized(ctx)) {
      await ctx.body();
      return sendJson(res, 401, err('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
    }
    return handle(req, res, ctx);
  };
  const route = (method: string, path: RegExp, handle: Route['handle']): Route => ({ method, path, handle: guard(handle) });

  async function formOf(ctx: RouteContext) {
    const type = ctx.log.headers['content-type'] ?? '';
    return new Response(await ctx.body(), { headers: { 'content-type': type } }).formData();
  }
  /**
   * A file field of a multipart body, found with Buffer.indexOf: a 64 MB part takes milliseconds
   * (Response.formData takes a second and copies it twice). Null when there is no such file field.
   */
  async function fileFieldOf(ctx: RouteContext, name: string): Promise<Buffer | null> {
    const body = await ctx.body();
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/.exec(ctx.log.headers['content-type'] ?? '');
    if (!boundary) return null;
    const delimiter = `--${boundary[1] ?? boundary[2]}`;
    for (let at = body.indexOf(delimiter); at !== -1; ) {
      const headersEnd = body.indexOf('\r\n\r\n', at);
      const next = headersEnd === -1 ? -1 : body.indexOf(`\r\n${delimiter}`, headersEnd + 4);
      if (next === -1) return null;
      if (body.subarray(at, headersEnd).toString('utf8').includes(`name="${name}"; filename=`)) return body.subarray(headersEnd + 4, next);
      at = next + 2;
    }
    return null;
  }
  async function md5Of(paths: string[]) {
    const hash = createHash('md5');
    for (const p of paths) for await (const chunk of createReadStream(p)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }
  const jobView = ({ events: _e, script: _s, ...job }: FakeJob) => job;
  const addEvent = (job: FakeJob, message: string, level = 'info') =>
    job.events.push({ id: newId('ftevent'), object: 'fine_tuning.job.event', created_at: now(), level, message, type: 'message' });

  const routes: Route[] = [
    route('POST', /^\/files$/, async (_req, res, ctx) => {
      const form = await formOf(ctx);
      const file = form.get('file');
      if (!(file instanceof Blob)) return sendJson(res, 400, err("'file' is a required property"));
      const bytes = Buffer.from(await file.arrayBuffer());
      const id = newId('file');
      const path = join(dir, id);
      writeFileSync(path, bytes);
      filePaths.set(id, [path]);
      const record: FakeFile = { id, object: 'file', bytes: bytes.length, filename: (file as File).name, purpose: String(form.get('purpose')), status: 'processed', created_at: now(), md5: createHash('md5').update(bytes).digest('hex') };
      files.set(id, record);
      fileScripts.set(id, [...(options.fileScript ?? [])]);
      const { md5: _m, ...view } = record;
      sendJson(res, 200, view);
    }),
    route('GET', /^\/files\/([^/]+)$/, (_req, res, ctx) => {
      const f = files.get(ctx.params[0]!);
      if (!f) return sendJson(res, 404, err(`No such File object: ${ctx.params[0]}`));
      const { md5: _m, ...view } = f;
      const script = fileScripts.get(f.id) ?? [];
      const status = script.length > 1 ? script.shift()! : (script[0] ?? f.status);
      sendJson(res, 200, { ...view, status, ...(status === 'error' && { status_details: 'Invalid file format for fine-tuning: line 3 is not JSON.' }) });
    }),
    route('POST', /^\/uploads$/, async (_req, res, ctx) => {
      const body = await ctx.json<{ bytes: number; filename: string; mime_type: string; purpose: string }>();
      if (!(body.bytes > 0) || !body.filename || body.purpose !== 'fine-tune') return sendJson(res, 400, err('bytes, filename, mime_type and purpose are required'));
      const id = newId('upload');
      const created = now();
      const upload: FakeUpload = { id, object: 'upload', bytes: body.bytes, filename: body.filename, purpose: body.purpose, mime_type: body.mime_type, status: 'pending', created_at: created, expires_at: created + 3600, file: null, parts: new Map() };
      uploads.set(id, upload);
      sendJson(res, 200, uploadView(upload));
    }),
    route('POST', /^\/uploads\/([^/]+)\/parts$/, async (_req, res, ctx) => {
      const upload = uploads.get(ctx.params[0]!);
      if (!upload) return (await ctx.body(), sendJson(res, 404, err(`Upload ${ctx.params[0]} not found`)));
      const data = await fileFieldOf(ctx, 'data');
      if (upload.status !== 'pending') return sendJson(res, 400, err(`Upload ${upload.id} is ${upload.status}: cannot add parts`));
      if (data === null) return sendJson(res, 400, err("'data' must be a file"));
      if (data.length > 64 * 1024 * 1024) return sendJson(res, 400, err('Part too large: at most 64 MB'));
      const id = newId('part');
      const path = join(dir, id);
      await writeFile(path, data);
      upload.parts.set(id, { path, bytes: data.length });
      sendJson(res, 200, { id, object: 'upload.part', created_at: now(), upload_id: upload.id });
    }),
    route('POST', /^\/uploads\/([^/]+)\/complete$/, async (_req, res, ctx) => {
      const upload = uploads.get(ctx.params[0]!);
      const body = await ctx.json<{ part_ids: string[]; md5?: string }>();
      if (!upload) return sendJson(res, 404, err(`Upload ${ctx.params[0]} not found`));
      if (upload.status === 'completed' && upload.file) return sendJson(res, 200, uploadView(upload));
      if (upload.status !== 'pending') return sendJson(res, 400, err(`Upload ${upload.id} is ${upload.status}`));
      const parts = body.part_ids.map((p) => upload.parts.get(p));
      if (parts.some((p) => p === undefined)) return sendJson(res, 400, err('Unknown part id in part_ids'));
      const paths = parts.map((p) => p!.path);
      const bytes = parts.reduce((n, p) => n + p!.bytes, 0);
      if (bytes !== upload.bytes) return sendJson(res, 400, err(`The parts hold ${bytes} bytes, the upload was created for ${upload.bytes}`));
      const md5 = await md5Of(paths);
      if (body.md5 !== undefined && body.md5 !== md5) return sendJson(res, 400, err('md5 checksum does not match the parts'));
      const id = newId('file');
      filePaths.set(id, paths);
      const file: FakeFile = { id, object: 'file', bytes, filename: upload.filename, purpose: upload.purpose, status: 'processed', created_at: now(), md5 };
      files.set(id, file);
      fileScripts.set(id, [...(options.fileScript ?? [])]);
      upload.status = 'completed';
      upload.file = file;
      sendJson(res, 200, uploadView(upload));
    }),
    route('POST', /^\/uploads\/([^/]+)\/cancel$/, async (_req, res, ctx) => {
      const upload = uploads.get(ctx.params[0]!);
      if (!upload) return sendJson(res, 404, err(`Upload ${ctx.params[0]} not found`));
      if (upload.status === 'pending') upload.status = 'cancelled';
      sendJson(res, 200, uploadView(upload));
    }),
    route('POST', /^\/fine_tuning\/jobs$/, async (_req, res, ctx) => {
      const body = await ctx.json<Record<string, unknown>>();
      if (options.refuseFineTuning) return sendJson(res, 403, err('Fine-tuning is no longer available to your organization.', 'invalid_request_error', 'fine_tuning_not_available'));
      const training = files.get(String(body.training_file));
      if (!training) return sendJson(res, 400, err(`invalid training_file: ${String(body.training_file)}`, 'invalid_request_error', 'invalid_training_file'));
      if (body.validation_file != null && !files.has(String(body.validation_file))) return sendJson(res, 400, err(`invalid validation_file: ${String(body.validation_file)}`));
      const job: FakeJob = {
        id: newId('ftjob'), object: 'fine_tuning.job', model: String(body.model), training_file: training.id,
        validation_file: (body.validation_file as string | undefined) ?? null, suffix: (body.suffix as string | undefined) ?? null,
        seed: (body.seed as number | undefined) ?? 42, metadata: (body.metadata as Record<string, string> | undefined) ?? null,
        status: 'validating_files', fine_tuned_model: null, error: null, created_at: now(), finished_at: null,
        method: body.method ?? null, hyperparameters: body.hyperparameters ?? null, events: [],
        script: [...(options.jobScript ?? ['validating_files', 'running', 'succeeded'])],
      };
      job.status = job.script.shift() ?? 'validating_files';
      addEvent(job, `Created fine-tuning job: ${job.id}`);
      jobs.set(job.id, job);
      sendJson(res, 200, jobView(job));
    }),
    route('GET', /^\/fine_tuning\/jobs$/, (_req, res, ctx) => {
      let list = [...jobs.values()].reverse();
      for (const [k, v] of ctx.query) {
        const m = /^metadata\[(.+)\]$/.exec(k);
        if (m) list = list.filter((j) => j.metadata?.[m[1]!] === v);
      }
      const after = ctx.query.get('after');
      if (after) list = list.slice(list.findIndex((j) => j.id === after) + 1);
      const limit = Number(ctx.query.get('limit') ?? 20);
      sendJson(res, 200, { object: 'list', data: list.slice(0, limit).map(jobView), has_more: list.length > limit });
    }),
    route('GET', /^\/fine_tuning\/jobs\/([^/]+)$/, (_req, res, ctx) => {
      const job = jobs.get(ctx.params[0]!);
      if (!job) return sendJson(res, 404, err(`No such fine-tuning job: ${ctx.params[0]}`));
      const next = job.script.shift();
      if (next !== undefined && job.status !== 'cancelled') {
        job.status = next;
        addEvent(job, `Job ${next}`, next === 'failed' ? 'error' : 'info');
        if (next === 'succeeded') job.fine_tuned_model = `ft:${job.model}:fake::${job.id.slice(-6)}`;
        if (next === 'failed') job.error = { code: 'invalid_training_file', message: 'The training file has too few examples.', param: 'training_file' };
        if (['succeeded', 'failed', 'cancelled'].includes(next)) job.finished_at = now();
      }
      sendJson(res, 200, jobView(job));
    }),
    route('GET', /^\/fine_tuning\/jobs\/([^/]+)\/events$/, (_req, res, ctx) => {
      const job = jobs.get(ctx.params[0]!);
      if (!job) return sendJson(res, 404, err(`No such fine-tuning job: ${ctx.params[0]}`));
      let list = [...job.events].reverse(); // newest first
      const after = ctx.query.get('after');
      if (after) list = list.slice(list.findIndex((e) => e.id === after) + 1);
      const limit = Number(ctx.query.get('limit') ?? 20);
      sendJson(res, 200, { object: 'list', data: list.slice(0, limit), has_more: list.length > limit });
    }),
    route('POST', /^\/fine_tuning\/jobs\/([^/]+)\/cancel$/, (_req, res, ctx) => {
      const job = jobs.get(ctx.params[0]!);
      if (!job) return sendJson(res, 404, err(`No such fine-tuning job: ${ctx.params[0]}`));
      if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return sendJson(res, 400, err(`Job ${job.id} has already ${job.status}`));
      job.status = 'cancelled';
      job.finished_at = now();
      job.script = [];
      addEvent(job, 'Job cancelled');
      sendJson(res, 200, jobView(job));
    }),
    route('GET', /^\/models\/(.+)$/, (_req, res, ctx) => {
      const id = decodeURIComponent(ctx.params[0]!);
      const shutdown = options.shutdownDates?.[id];
      sendJson(res, 200, { id, object: 'model', created: 1_700_000_000, owned_by: 'system', ...(shutdown !== undefined && { shutdown_date: shutdown }) });
    }),
    // Azure: /openai/deployments/{deployment}/chat/completions (the prefix is stripped)
    route('POST', /^(?:\/deployments\/[^/]+)?\/chat\/completions$/, async (_req, res, ctx) => {
      const body = await ctx.json<{ model: string; messages: { role: string; content: string }[]; stream?: boolean }>();
      chats.push(body);
      const last = body.messages.at(-1)?.content ?? '';
      const reply = `echo (${body.messages.length} messages): ${last}`;
      const base = { id: newId('chatcmpl'), created: now(), model: body.model };
      if (!body.stream) {
        return sendJson(res, 200, { ...base, object: 'chat.completion', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: reply } }] });
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const pieces = reply.match(/.{1,7}/gsu) ?? [];
      const chunk = (delta: object, finish: string | null) => `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }, null));
      const cut = options.chatStreamFault;
      for (const [i, p] of pieces.entries()) {
        if (cut && i === cut.afterPieces) {
          await new Promise<void>((resolve) => res.write('', () => resolve())); // what came before is sent first
          if (cut.fault === 'reset') return res.socket?.resetAndDestroy();
          if (cut.fault === 'end') return res.end();
          if (cut.fault === 'error') return res.end(`data: ${JSON.stringify(err('The server had an error while processing your request.', 'server_error'))}\n\n`);
          return; // stall: the connection stays open and silent until the server closes
        }
        res.write(chunk({ content: p }, null));
      }
      res.write(chunk({}, 'stop'));
      res.end('data: [DONE]\n\n');
    }),
  ];

  const server = await startFakeServer(routes, { stripPrefix: /^\/(?:v1|openai)(?=\/)/ });
  const close = server.close;
  return Object.assign(server, {
    files, uploads, jobs, chats,
    baseURL: `${server.origin}/v1`,
    endpoint: server.origin,
    fileBytes: async (id: string) => Buffer.concat(await Promise.all((filePaths.get(id) ?? []).map((p) => import('node:fs/promises').then((fs) => fs.readFile(p))))),
    expire: (id: string) => {
      const u = uploads.get(id);
      if (u && u.status === 'pending') u.status = 'expired';
    },
    close: async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

function uploadView(u: FakeUpload) {
  const { parts: _p, file, ...view } = u;
  return { ...view, file: file && { id: file.id, object: 'file', bytes: file.bytes, filename: file.filename, purpose: file.purpose, status: file.status, created_at: file.created_at } };
}
