/**
 * A young generation that stays at the size it has, for `fbstream inspect`.
 *
 * V8 doubles the young generation (up to 3 × 16 MB here) while much survives it. The inspector
 * inflates whole zip entries and keeps little alive, so the larger young generation only adds to
 * peak RSS: pinned, the real-shaped export's zips were inspected in ~146 MB instead of ~187, at the
 * same CPU (docs/performance.md#inspect-on-two-cores). A conversion keeps the default: pinned, it
 * spent ~10% more CPU.
 *
 * The flag is V8's `--semi-space-growth-factor=1`, set with `v8.setFlagsFromString` as
 * cli/scavenger.ts does; V8 reads it each time it would grow the space. It holds process-wide, but
 * V8 puts it back to 2 whenever an isolate is created (measured: a worker thread's start undoes
 * it), so it is set again once each worker is online. Left alone when node's command line sizes
 * the young generation itself.
 */
import { setFlagsFromString } from 'node:v8';
import type { Worker } from 'node:worker_threads';

export const PIN_YOUNG_GENERATION_FLAG = '--semi-space-growth-factor=1';

/** The flag to set, or null when node's command line already chose the young generation's size. */
export function youngGenerationFlag(execArgv: readonly string[]): string | null {
  if (execArgv.some((a) => /^--(?:(?:max|min)[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)(?:=|$)/.test(a))) return null;
  return PIN_YOUNG_GENERATION_FLAG;
}

let pinned = false;

/** Keep the young generation at its present size for the rest of the process; returns the flag, or null. */
export function pinYoungGeneration(): string | null {
  const flag = youngGenerationFlag(process.execArgv);
  if (!flag) return null;
  const pin = () => setFlagsFromString(flag);
  pin();
  if (!pinned) process.on('worker', (worker: Worker) => worker.once('online', pin));
  pinned = true;
  return flag;
}
