/**
 * The small export the parallel-run tests share (test/fixtures/parallel/export): its inbox, and a
 * thread's parts in reading order.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INBOX = fileURLToPath(new URL('../fixtures/parallel/export/messages/inbox/', import.meta.url));

/** `message_N.json` of the thread's folder under {@link INBOX}, by N. */
export function partsOf(thread: string): string[] {
  return partsIn(join(INBOX, thread));
}

/** `message_N.json` of a thread's folder, by N. */
export function partsIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^message_\d+\.json$/.test(f))
    .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))
    .map((f) => join(dir, f));
}
