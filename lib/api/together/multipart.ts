/**
 * Files over 5 GB to Together AI the way its Python SDK sends them: `POST /files/multipart/initiate`
 * answers the upload's id, the file's id and one signed URL per part; each part is `PUT` there
 * (streamed from its range of the file, a few at a time, no key) and answers an ETag;
 * `POST /files/multipart/complete` lists the parts in order. On a failure the upload is aborted.
 *
 * Retries: a part names its own URL and range, so it is sent again whole. A resent initiate at
 * worst leaves an upload that is never completed (no file, no job), or answers 409 with the file.
 * A complete whose answer is lost is checked with `GET /files/{id}` rather than trusted.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { ApiError } from '../../errors.js';
import type { UploadRequest } from '../trainer.js';
import { header, jsonOf, type TogetherCall } from './http.js';

export const MULTIPART_MIN_PART_BYTES = 5 * 1024 ** 2;
/** Together's SDK aims at parts of 250 MB, 250 parts at most. */
export const MULTIPART_TARGET_PART_BYTES = 250 * 1024 ** 2;
export const MULTIPART_MAX_PARTS = 250;

export interface PartPlan {
  partSize: number;
  count: number;
}

/** How a file of `size` bytes is cut: parts near `target`, at most `maxParts`, none under 5 MB. */
export function planParts(size: number, target = MULTIPART_TARGET_PART_BYTES, maxParts = MULTIPART_MAX_PARTS): PartPlan {
  if (size <= target) return { partSize: size, count: 1 };
  let count = Math.min(maxParts, Math.ceil(size / target));
  let partSize = Math.ceil(size / count);
  if (partSize < MULTIPART_MIN_PART_BYTES) {
    partSize = MULTIPART_MIN_PART_BYTES;
    count = Math.ceil(size / partSize);
  }
  return { partSize, count };
}

export interface MultipartFile {
  path: string;
  filename: string;
  size: number;
  checksum: string;
  plan: PartPlan;
}

interface Initiated {
  upload_id?: string;
  file_id?: string;
  parts?: { PartNumber?: number; part_number?: number; URL?: string; UploadURL?: string; Headers?: Record<string, string> }[];
}

/** Returns the file's id; `existing` when Together answered 409 (it holds this file already). */
export async function multipartUpload(call: TogetherCall, file: MultipartFile, request: UploadRequest): Promise<{ id: string; existing: boolean }> {
  const { signal } = request;
  const what = `upload ${file.filename} in ${file.plan.count} parts`;
  const initiated = await call({
    method: 'POST', url: '/files/multipart/initiate', what, retry: 'idempotent', signal, accept: [409],
    headers: { 'content-type': 'application/json' },
    body: () => JSON.stringify({ file_name: file.filename, file_size: file.size, num_parts: file.plan.count, purpose: 'fine-tune', file_type: 'jsonl', checksum: file.checksum }),
  });
  if (initiated.status === 409) {
    const id = (jsonOf<{ file_id?: string }>(initiated, what).file_id) ?? header(initiated.headers, 'x-together-file-id');
    if (!id) throw new ApiError('together', `Together AI answered 409 to ${what} without the existing file's id`, 409);
    return { id, existing: true };
  }
  const info = jsonOf<Initiated>(initiated, what);
  const uploadId = info.upload_id;
  const fileId = info.file_id;
  const parts = (info.parts ?? []).map((p) => ({ number: p.PartNumber ?? p.part_number ?? 0, url: p.URL ?? p.UploadURL ?? '', headers: p.Headers ?? {} }));
  if (!uploadId || !fileId || parts.length !== file.plan.count || parts.some((p, i) => p.number !== i + 1 || p.url === '')) {
    throw new ApiError('together', `Together AI answered ${what} without an upload id, a file id and ${file.plan.count} part URLs in order`);
  }

  const abort = new AbortController();
  const partSignal = signal ? AbortSignal.any([signal, abort.signal]) : abort.signal;
  const limit = pLimit(Math.max(1, request.concurrency));
  const sentByPart = new Array<number>(parts.length).fill(0);
  let sent = 0;
  let firstError: unknown;
  const count = (index: number, bytes: number) => {
    sentByPart[index]! += bytes;
    sent += bytes;
    request.onProgress?.(sent, file.size);
  };
  const etags = await Promise.all(parts.map((part, index) => limit(async () => {
    if (firstError !== undefined) return '';
    const start = index * file.plan.partSize;
    const end = Math.min(file.size, start + file.plan.partSize);
    try {
      const answer = await call({
        method: 'PUT', url: part.url, what: `send part ${part.number} of ${parts.length} of ${file.filename}`, retry: 'idempotent', auth: false, signal: partSignal,
        headers: { ...part.headers, 'content-length': String(end - start) },
        body: () => Readable.from(rangeOf(file.path, start, end, (n) => count(index, n))),
        onRetry: () => count(index, -sentByPart[index]!),
      });
      const etag = header(answer.headers, 'etag')?.replace(/"/g, '');
      if (!etag) throw new ApiError('together', `the signed URL gave no ETag for part ${part.number} of ${file.filename}`);
      return etag;
    } catch (err) {
      if (firstError === undefined) {
        firstError = err;
        abort.abort();
      }
      return '';
    }
  })));
  if (firstError !== undefined) {
    if (!signal?.aborted) await abortUpload(call, uploadId, fileId);
    throw firstError;
  }

  const completeWhat = `complete the upload of ${file.filename} (${fileId})`;
  try {
    await call({
      method: 'POST', url: '/files/multipart/complete', what: completeWhat, retry: 'idempotent', signal,
      headers: { 'content-type': 'application/json' },
      body: () => JSON.stringify({ upload_id: uploadId, file_id: fileId, parts: etags.map((etag, i) => ({ part_number: i + 1, etag })) }),
    });
  } catch (err) {
    // a resent complete after a lost answer finds the upload gone: the file itself says whether it is whole
    if (!(err instanceof ApiError) || !(await isWhole(call, fileId, file.size, signal))) throw err;
  }
  return { id: fileId, existing: false };
}

async function isWhole(call: TogetherCall, id: string, size: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    const what = `look up file ${id}`;
    const f = jsonOf<{ bytes?: number }>(await call({ method: 'GET', url: `/files/${encodeURIComponent(id)}`, what, retry: 'idempotent', signal }), what);
    return f.bytes === size;
  } catch {
    return false;
  }
}

/** Best effort: the upload is dropped on Together's side; its own failure is not the one to report. */
async function abortUpload(call: TogetherCall, uploadId: string, fileId: string): Promise<void> {
  await call({
    method: 'POST', url: '/files/multipart/abort', what: 'abort the multipart upload', retry: 'idempotent',
    headers: { 'content-type': 'application/json' },
    body: () => JSON.stringify({ upload_id: uploadId, file_id: fileId }),
  }).catch(() => undefined);
}

async function* rangeOf(path: string, start: number, end: number, onChunk: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  if (end <= start) return;
  for await (const chunk of createReadStream(path, { start, end: end - 1 })) {
    onChunk((chunk as Buffer).length);
    yield chunk as Buffer;
  }
}
