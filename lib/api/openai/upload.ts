/**
 * A training file to OpenAI or Azure OpenAI. Up to 512 MB in one request through the Files API
 * (the file sent as a file-backed Blob: little memory, and the SDK can send it again on a retry);
 * larger, or when asked, through the Uploads API in parts: read in order with the md5 of the whole
 * file computed in the same pass, a few parts in flight (p-limit), each part a `toFile` of a slice of
 * the file-backed Blob (lib/api/upload/parts.ts says why not a Buffer), which the SDK sends again on
 * 429, 5xx, resets and timeouts; then `complete` with the part ids in file order and the md5.
 *
 * An upload in parts can be resumed: lib/api/upload/state.ts keeps, beside the data, which parts
 * were acknowledged; the same command within the hour sends only the others. An upload that expired
 * (an hour after its creation) or that the server no longer knows starts over, and says so.
 */
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type OpenAI from 'openai';
import { APIError, toFile } from 'openai';
import pLimit from 'p-limit';
import { ApiError, DataError, FbstreamError, IoError, LimitError, UsageError } from '../../errors.js';
import type { Provider } from '../../options.js';
import { apiErrorOf } from '../api-error.js';
import type { UploadedFile, UploadRequest } from '../trainer.js';
import { readParts, partRanges } from '../upload/parts.js';
import { withRequestSignal } from '../request-signal.js';
import { createStateWriter, mismatchOf, newState, readState, removeState, statePathOf, writeState, type UploadIdentity, type UploadState } from '../upload/state.js';

const MB = 1024 * 1024;
/** The Files API takes one file up to this size. */
export const FILES_API_MAX_BYTES = 512 * MB;
/** The Uploads API takes up to this much. */
export const UPLOADS_API_MAX_BYTES = 8 * 1024 * MB;
/** A recorded upload this close to its expiry is not resumed: its last parts could arrive too late. */
const EXPIRY_MARGIN_S = 60;
/** How long a file may stay in processing before we give up waiting (it may still get ready). */
const PROCESSING_MAX_WAIT_MS = 30 * 60 * 1000;
/**
 * For requests with a file body. Following redirects makes fetch keep a copy of the body (a tee
 * whose other branch is never read): a whole part in memory per part in flight. No upload
 * endpoint redirects.
 */
const NO_BODY_COPY = { redirect: 'error', window: null } as const;

interface Input {
  path: string;
  size: number;
  mtimeMs: number;
  /** The name the provider sees: the file's, ending `.jsonl`. */
  filename: string;
}

export async function uploadOpenAI(client: OpenAI, provider: Provider, request: UploadRequest): Promise<UploadedFile> {
  const input = await inputOf(request.path);
  try {
    if (!request.uploads && input.size <= FILES_API_MAX_BYTES) return await viaFiles(client, provider, input, request);
    if (input.size > UPLOADS_API_MAX_BYTES) throw new LimitError(`${input.size} bytes is more than the Uploads API takes (8 GB): split the dataset`, { source: input.path });
    return await viaUploads(client, provider, input, request);
  } catch (err) {
    if (request.signal?.aborted) throw request.signal.reason;
    if (err instanceof FbstreamError) throw err; // ours already: API, I/O, limit
    throw apiErrorOf(provider, `upload ${input.filename}`, err);
  }
}

async function inputOf(path: string): Promise<Input> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`cannot read ${path}: no such file`);
    throw new IoError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (info.isDirectory()) throw new UsageError(`cannot read ${path}: it is a folder, not a JSONL file`);
  if (info.size === 0) throw new DataError('FBS_EMPTY_INPUT', 'the file is empty: nothing to upload', { source: path });
  const name = basename(path);
  return { path, size: info.size, mtimeMs: info.mtimeMs, filename: /\.jsonl$/i.test(name) ? name : `${name}.jsonl` };
}

async function viaFiles(client: OpenAI, provider: Provider, input: Input, request: UploadRequest): Promise<UploadedFile> {
  const signal = request.signal;
  request.onProgress?.(0, input.size);
  const blob = await openAsBlob(input.path);
  const data = await toFile(blob, input.filename);
  const file = await withRequestSignal(signal, (s) => client.files.create({ file: data, purpose: 'fine-tune' }, { signal: s, fetchOptions: NO_BODY_COPY }));
  request.onProgress?.(input.size, input.size);
  await waitProcessed(client, provider, file.id, input.filename, signal);
  return { id: file.id, bytes: file.bytes ?? input.size, filename: input.filename, via: 'files', resumedParts: 0 };
}

async function viaUploads(client: OpenAI, provider: Provider, input: Input, request: UploadRequest): Promise<UploadedFile> {
  const statePath = statePathOf(input.path);
  const identity: UploadIdentity = { provider, endpoint: client.baseURL, size: input.size, mtimeMs: input.mtimeMs, partSize: request.partSizeBytes };
  let state = await recordedState(statePath, identity, input, request);
  if (state?.fileId !== undefined) {
    const done = await fileOf(client, state.fileId, request.signal);
    if (done) {
      request.onNotice?.(`${input.filename} was uploaded by an earlier run as ${done.id}`);
      await waitProcessed(client, provider, done.id, input.filename, request.signal);
      await removeState(statePath);
      return { id: done.id, bytes: done.bytes ?? input.size, filename: input.filename, via: 'uploads', resumedParts: Object.keys(state.parts).length };
    }
    request.onNotice?.(`the file ${state.fileId} an earlier run uploaded is gone: starting over`);
    state = null;
  }
  try {
    return await sendParts(client, provider, input, request, statePath, state ?? (await createUpload(client, identity, input, statePath, request.signal)));
  } catch (err) {
    // a resumed upload the server has let go of (expired, cancelled, unknown) starts over once
    if (state === null || !isUploadGone(err)) throw err;
    request.onNotice?.(`upload ${state.uploadId} of ${input.filename} can no longer be continued (${goneReason(err)}): starting over`);
    await removeState(statePath);
    return await sendParts(client, provider, input, request, statePath, await createUpload(client, identity, input, statePath, request.signal));
  }
}

/** The record of an earlier run if it can be trusted; says why when it cannot. */
async function recordedState(statePath: string, identity: UploadIdentity, input: Input, request: UploadRequest): Promise<UploadState | null> {
  const state = await readState(statePath);
  if (state === null) return null;
  const notice = (why: string) => request.onNotice?.(`not resuming the earlier upload of ${input.filename} (${why}): starting over`);
  if (state === 'unreadable') {
    notice(`its record ${statePath} is unreadable`);
    return null;
  }
  const mismatch = mismatchOf(state, identity);
  if (mismatch !== null) {
    notice(mismatch);
    return null;
  }
  if (state.fileId !== undefined) return state; // completed: its file is looked up, the upload no longer matters
  if (state.expiresAt - EXPIRY_MARGIN_S <= Date.now() / 1000) {
    request.onNotice?.(`upload ${state.uploadId} of ${input.filename} expired at ${new Date(state.expiresAt * 1000).toISOString()}: starting over`);
    return null;
  }
  const parts = partRanges(input.size, request.partSizeBytes).length;
  request.onNotice?.(`resuming upload ${state.uploadId} of ${input.filename}: ${Object.keys(state.parts).length} of ${parts} parts already sent`);
  return state;
}

async function createUpload(client: OpenAI, identity: UploadIdentity, input: Input, statePath: string, signal: AbortSignal | undefined): Promise<UploadState> {
  const upload = await withRequestSignal(signal, (s) => client.uploads.create({ bytes: input.size, filename: input.filename, mime_type: 'text/jsonl', purpose: 'fine-tune' }, { signal: s }));
  const state = newState(identity, upload);
  await writeState(statePath, state);
  return state;
}

async function sendParts(client: OpenAI, provider: Provider, input: Input, request: UploadRequest, statePath: string, state: UploadState): Promise<UploadedFile> {
  const { signal, concurrency } = request;
  const ranges = partRanges(input.size, request.partSizeBytes);
  const resumedParts = ranges.filter((r) => state.parts[r.index] !== undefined).length;
  const reader = readParts(input.path, input.size, request.partSizeBytes);
  const whole = await openAsBlob(input.path);
  const writer = createStateWriter(statePath, state);
  const limit = pLimit(concurrency);
  const inFlight = new Set<Promise<void>>();
  let acknowledged = ranges.reduce((n, r) => n + (state.parts[r.index] !== undefined ? r.end - r.start : 0), 0);
  let failure: { err: unknown } | null = null;
  request.onProgress?.(acknowledged, input.size);

  const send = async (index: number, data: File) => {
    try {
      const part = await withRequestSignal(signal, (s) => client.uploads.parts.create(state.uploadId, { data }, { signal: s, fetchOptions: NO_BODY_COPY }));
      state.parts[index] = part.id;
    } catch (err) {
      throw apiErrorOf(provider, `upload part ${index + 1} of ${ranges.length} of ${input.filename}`, err);
    }
    acknowledged += data.size;
    request.onProgress?.(acknowledged, input.size);
    await writer.save();
  };

  try {
    for await (const part of reader.parts) {
      if (failure !== null) break;
      signal?.throwIfAborted();
      if (state.parts[part.index] !== undefined) continue; // sent by an earlier run: hashed, not sent
      const { index } = part;
      // a slice of the file, read as it is sent (and again on a retry): no part is held in memory
      const data = await toFile(whole.slice(part.start, part.end), 'part');
      const task: Promise<void> = limit(() => send(index, data)).then(
        () => void inFlight.delete(task),
        (err: unknown) => {
          failure ??= { err };
          inFlight.delete(task);
        },
      );
      inFlight.add(task);
      // the next part is hashed only when one of these is done: at most `concurrency` in flight
      while (inFlight.size >= concurrency && failure === null) await Promise.race(inFlight);
    }
  } catch (err) {
    failure ??= { err };
  }
  await Promise.all(inFlight);
  await writer.flush().catch(() => {});
  if (failure !== null) throw (failure as { err: unknown }).err;

  const partIds = ranges.map((r) => state.parts[r.index]!);
  const md5 = reader.md5();
  const upload = await withRequestSignal(signal, (s) => client.uploads.complete(state.uploadId, { part_ids: partIds, md5 }, { signal: s }));
  if (upload.status !== 'completed' || !upload.file) {
    throw new ApiError(provider, `the upload of ${input.filename} (${state.uploadId}) did not complete: its status is ${upload.status}`);
  }
  // recorded before anything else: a rerun finds this file instead of making a second one
  state.fileId = upload.file.id;
  await writeState(statePath, state);
  await waitProcessed(client, provider, upload.file.id, input.filename, signal);
  await removeState(statePath);
  return { id: upload.file.id, bytes: upload.file.bytes ?? input.size, filename: input.filename, via: 'uploads', resumedParts };
}

/** The answer that means the server let go of the upload: not found, expired or cancelled. */
function isUploadGone(err: unknown): boolean {
  const api = apiCause(err);
  if (api === undefined) return false;
  return api.status === 404 || (api.status === 400 && /expired|cancell?ed/i.test(api.message));
}

function goneReason(err: unknown): string {
  const api = apiCause(err)!;
  return api.status === 404 ? 'the server does not know it' : /expired/i.test(api.message) ? 'it expired' : 'it was cancelled';
}

function apiCause(err: unknown): APIError | undefined {
  if (err instanceof APIError) return err;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return cause instanceof APIError ? cause : undefined;
}

async function fileOf(client: OpenAI, id: string, signal: AbortSignal | undefined): Promise<OpenAI.Files.FileObject | null> {
  try {
    return await withRequestSignal(signal, (s) => client.files.retrieve(id, { signal: s }));
  } catch (err) {
    if (err instanceof APIError && err.status === 404) return null;
    throw err;
  }
}

/** Waits until the provider has checked the file (`processed`); its own failure said plainly. */
async function waitProcessed(client: OpenAI, provider: Provider, id: string, filename: string, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + PROCESSING_MAX_WAIT_MS;
  for (let delay = 200; ; delay = Math.min(delay * 2, 5000)) {
    const file = await withRequestSignal(signal, (s) => client.files.retrieve(id, { signal: s }));
    if (file.status === 'processed') return;
    if (file.status === 'error') {
      throw new ApiError(provider, `${filename} was uploaded as ${id} but could not be processed (${file.status}): ${file.status_details ?? 'no details given'}`);
    }
    if (Date.now() > deadline) throw new ApiError(provider, `${filename} was uploaded as ${id} but is still being processed after 30 minutes; it may get ready later`);
    await sleep(delay, undefined, { signal });
  }
}
