/**
 * A dataset to Together AI the way its SDKs send one: `POST /files` (purpose, name, type and the
 * file's sha256) answers 302 with a signed URL and the new file's id; the bytes go there in one
 * `PUT`, streamed from disk, without our key; `POST /files/{id}/preprocess` then finalises it.
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

/** One PUT to a signed URL takes at most this; Together's multipart upload is not implemented here. */
export const MAX_SINGLE_UPLOAD_BYTES = 5 * 1024 ** 3;

interface TogetherFile {
  id?: string;
  bytes?: number;
  filename?: string;
}

/** `baseURL`: the API's, against which a relative `Location` is resolved. */
export async function uploadToTogether(call: TogetherCall, baseURL: string, request: UploadRequest): Promise<UploadedFile> {
  const { path, signal } = request;
  const filename = basename(path);
  const size = await sizeOf(path);
  if (request.uploads) request.onNotice?.('Together AI has no Uploads API: --uploads and --part-size are ignored; the file goes in one PUT to a signed URL');
  const checksum = await sha256Of(path, signal);

  const what = `upload ${filename}`;
  const form = new URLSearchParams({ purpose: 'fine-tune', file_name: filename, file_type: 'jsonl', checksum });
  const created = await call({
    method: 'POST', url: '/files', what, retry: 'idempotent', signal, accept: [302, 409],
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: () => form.toString(),
  });
  const done = (id: string): UploadedFile => {
    request.onProgress?.(size, size);
    return { id, bytes: size, filename, via: 'signed-url', resumedParts: 0 };
  };

  if (created.status === 409) {
    const id = existingFileId(created.body) ?? header(created.headers, 'x-together-file-id');
    if (!id) throw answerError(what, created);
    const known = jsonOf<TogetherFile>(await call({ method: 'GET', url: `/files/${encodeURIComponent(id)}`, what: `look up file ${id}`, retry: 'idempotent', signal }), `look up file ${id}`);
    if (known.bytes !== undefined && known.bytes !== size) {
      throw new ApiError('together', `Together AI says ${filename} exists already as ${id}, but that file holds ${known.bytes} bytes, not ${size}: delete it on Together (its files page or \`together files delete ${id}\`) and upload again`, 409);
    }
    request.onNotice?.(`Together AI has this file already (same sha256): using ${id}`);
    return done(id);
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
  if (info.size > MAX_SINGLE_UPLOAD_BYTES) {
    throw new LimitError(`${info.size} bytes; fbstream sends at most 5 GB to Together AI (one PUT; Together's multipart upload is not implemented): split the dataset, or upload it with Together's own CLI`, { source: path });
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
