/**
 * The record of an upload in parts, kept beside the data (`train.jsonl.fbstream-upload.json`): which
 * upload, for which file as it was then, and which parts the server acknowledged. OpenAI has no call
 * to list an upload's parts, so this record is the only way to resume. It is written atomically
 * (a temporary file renamed over it) so a crash leaves the old record or the new one, never half.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { IoError } from '../../errors.js';

export const STATE_SUFFIX = '.fbstream-upload.json';
const VERSION = 1;

export interface UploadState {
  version: 1;
  provider: string;
  /** The API's base URL (OpenAI) or the resource's endpoint (Azure). */
  endpoint: string;
  uploadId: string;
  /** Seconds since the epoch, as the server gave them. */
  createdAt: number;
  expiresAt: number;
  /** The data file as it was when the upload began. */
  size: number;
  mtimeMs: number;
  partSize: number;
  /** Acknowledged parts: part index (0-based, in file order) → the server's part id. */
  parts: Record<string, string>;
  /** Set once `complete` succeeded: the file the parts became. */
  fileId?: string;
}

/** What the record must match to be trusted. */
export interface UploadIdentity {
  provider: string;
  endpoint: string;
  size: number;
  mtimeMs: number;
  partSize: number;
}

export function statePathOf(dataPath: string): string {
  return dataPath + STATE_SUFFIX;
}

/** The record, or null when there is none; `unreadable` when a file is there but is not a record. */
export async function readState(path: string): Promise<UploadState | null | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new IoError(`cannot read the upload record ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const s = JSON.parse(text) as UploadState;
    const ok =
      s?.version === VERSION && typeof s.uploadId === 'string' && typeof s.endpoint === 'string' && typeof s.provider === 'string' &&
      Number.isFinite(s.expiresAt) && Number.isFinite(s.size) && Number.isFinite(s.mtimeMs) && Number.isFinite(s.partSize) &&
      typeof s.parts === 'object' && s.parts !== null && Object.values(s.parts).every((id) => typeof id === 'string');
    return ok ? s : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Why the record is not for this upload (null: it is). */
export function mismatchOf(state: UploadState, now: UploadIdentity): string | null {
  if (state.provider !== now.provider || state.endpoint !== now.endpoint) return `it was made for ${state.provider} at ${state.endpoint}`;
  if (state.size !== now.size || state.mtimeMs !== now.mtimeMs) return 'the file has changed since';
  if (state.partSize !== now.partSize) return `it was sent in parts of ${state.partSize} bytes, not ${now.partSize}`;
  return null;
}

export function newState(identity: UploadIdentity, upload: { id: string; created_at: number; expires_at: number }): UploadState {
  return { version: VERSION, ...identity, uploadId: upload.id, createdAt: upload.created_at, expiresAt: upload.expires_at, parts: {} };
}

export async function writeState(path: string, state: UploadState): Promise<void> {
  const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(state) + '\n');
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new IoError(`cannot write the upload record ${path} (it lets an interrupted upload resume): ${(err as Error).message}`, { cause: err });
  }
}

export async function removeState(path: string): Promise<void> {
  await rm(path, { force: true });
}

/**
 * Saves of one record, one at a time and coalesced: parts acknowledged while a save runs are all
 * in the next one. `flush()` waits until what was asked is on disk.
 */
export function createStateWriter(path: string, state: UploadState): { save(): Promise<void>; flush(): Promise<void> } {
  let running: Promise<void> | null = null;
  let again = false;
  const loop = async () => {
    do {
      again = false;
      await writeState(path, state);
    } while (again);
  };
  const save = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = loop().finally(() => (running = null));
    return running;
  };
  return { save, flush: () => running ?? Promise.resolve() };
}
