/**
 * A dataset to Together AI the way its SDKs send one: `POST /files` (purpose, name, type and the
 * file's sha256) answers 302 with a signed URL and the new file's id; the bytes go there in one
 * `PUT`, streamed from disk, without our key; `POST /files/{id}/preprocess` then finalises it.
 * Over 5 GB the file goes in parts instead (multipart.ts).
 *
 * Retries: the PUT and the preprocess name one file and can be sent again. The `POST /files` is
 * resent too: a resend whose first try did reach Together either makes a second, empty file
 * record (no bytes, no job, nothing billed) or, when Together recognises the checksum, answers
 * 409 with the existing file, which is then used.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { ApiError, DataError, IoError, LimitError } from '../../errors.js';
import type { UploadedFile, UploadRequest } from '../trainer.js';
import { answerError, header, jsonOf, type TogetherCall } from './http.js';
import { multipartUpload, planParts, MULTIPART_TARGET_PART_BYTES } from './multipart.js';

/** Above this a file goes in parts (Together's SDK's threshold: one PUT to S3 takes at most 5 GB). */
export const MAX_SINGLE_UPLOAD_BYTES = 5 * 1024 ** 3;
/** The largest file Together fine-tunes on (its SDK's 50.1 GB). */
export const MAX_UPLOAD_BYTES = Math.floor(50.1 * 1024 ** 3);

export interface UploadTuning {
  /** Files over this many bytes go in parts. Default 5 GB; tests lower it. */
  multipartAboveBytes?: number;
  /** The part size aimed at. Default 250 MB; tests lower it. */
  multipartPartBytes?: number;
}

interface TogetherFile {
  id?: string;
  bytes?: number;
  filename?: string;
}

/** `baseURL`: the API's, against which a relative `Location` is resolved. */
export async function uploadToTogether(call: TogetherCall, baseURL: string, request: UploadRequest, tuning: UploadTuning = {}): Promise<UploadedFile> {
  const { path, signal } = request;
  const filename = basename(path);
  const size = await sizeOf(path);
  if (request.uploads) request.onNotice?.('Together AI has no Uploads API: --uploads and --part-size are ignored (its own parts are used over 5 GB)');
  const checksum = await sha256Of(path, signal);
  const done = (id: string): UploadedFile => {
    request.onProgress?.(size, size);
    return { id, bytes: size, filename, via: 'signed-url', resumedParts: 0 };
  };
  const useExisting = async (id: string): Promise<UploadedFile> => {
    const what = `look up file ${id}`;
    const known = jsonOf<TogetherFile>(await call({ method: 'GET', url: `/files/${encodeURIComponent(id)}`, what, retry: 'idempotent', signal }), what);
    if (known.bytes !== undefined && known.bytes !== size) {
      throw new ApiError('together', `Together AI says ${filename} exists already as ${id}, but that file holds ${known.bytes} bytes, not ${size}: delete it on Together (its files page or \`together files delete ${id}\`) and upload again`, 409);
    }
    request.onNotice?.(`Together AI has this file already (same sha256): using ${id}`);
    return done(id);
  };

  if (size > (tuning.multipartAboveBytes ?? MAX_SINGLE_UPLOAD_BYTES)) {
    const plan = planParts(size, tuning.multipartPartBytes ?? MULTIPART_TARGET_PART_BYTES);
    const result = await multipartUpload(call, { path, filename, size, checksum, plan }, request);
    return result.existing ? useExisting(result.id) : done(result.id);
  }

  const what = `upload ${filename}`;
  const form = new URLSearchParams({ purpose: 'fine-tune', file_name: filename, file_type: 'jsonl', checksum });
  const created = await call({
    method: 'POST', url: '/files', what, retry: 'idempotent', signal, accept: [302, 409],
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: () => form.toString(),
  });
  if (created.status === 409) {
    const id = existingFileId(created.body) ?? header(created.headers, 'x-together-file-id');
    if (!id) throw answerError(what, created);
    return useExisting(id);
  }
  if (created.status !== 302 && created.status !== 200) throw answerError(what, created);
  const location = header(created.headers, 'location');
  const id = header(created.headers, 'x-together-file-id');
  if (created.status === 200 || !location || !id) {
    throw new ApiError('together', `Together AI answered ${created.status} to ${what} without a signed URL and file id (Location, X-Together-File-Id); TOGETHER_BASE_URL may not point at Together's API`, created.status);
  }

  let sent = 0;
  await call({
    method: 'PUT', url: new URL(location, `${baseURL}/`).href, what: `send the bytes of ${filename}`,
    retry: 'idempotent', auth: false, signal,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: () => Readable.from(counted(path, (n) => {
      sent += n;
      request.onProgress?.(sent, size);
    })),
    onRetry: () => {
      sent = 0;
      request.onProgress?.(0, size);
    },
  });

  const preprocessed = jsonOf<TogetherFile>(
    await call({ method: 'POST', url: `/files/${encodeURIComponent(id)}/preprocess`, what: `finish the upload of ${filename} (${id})`, retry: 'idempotent', signal }),
    `finish the upload of ${filename}`,
  );
  if (typeof preprocessed.bytes === 'number' && preprocessed.bytes !== size) {
    throw new ApiError('together', `Together AI holds ${preprocessed.bytes} bytes for ${filename} (${id}), not the ${size} sent: upload it again`);
  }
  return done(id);
}

async function sizeOf(path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new IoError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  if (!info.isFile()) throw new IoError(`cannot upload ${path}: not a file`);
  if (info.size === 0) throw new DataError('FBS_EMPTY_INPUT', 'the file is empty: nothing to upload', { source: path });
  if (info.size > MAX_UPLOAD_BYTES) {
    throw new LimitError(`${info.size} bytes; Together AI fine-tunes on files of at most 50.1 GB: split the dataset`, { source: path });
  }
  return info.size;
}

async function sha256Of(path: string, signal: AbortSignal | undefined): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new IoError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  return hash.digest('hex');
}

/** The file's bytes as they are read, a fresh stream for every attempt. */
async function* counted(path: string, onChunk: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(path)) {
    onChunk((chunk as Buffer).length);
    yield chunk as Buffer;
  }
}

/** Python's SDK reads `file_id` at the top of a 409's body; accept it under `error` too. */
function existingFileId(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { file_id?: unknown; error?: { file_id?: unknown } };
    const id = parsed.file_id ?? parsed.error?.file_id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}
