/**
 * How fast V8 lets each heap grow between full collections, for this process (main thread and
 * workers alike: V8's flags are per process, and this one is read at every collection, so it takes
 * effect when set after start-up too).
 *
 * Why: V8 lets an old generation grow to up to 4 times what the last full collection kept. With a
 * job per core every isolate has that headroom, and at --jobs 2 it was most of the peak RSS past the
 * live data. 1.3 times: peak RSS on a 2 GB export, two jobs, 259-279 → 223-236 MB from the folder
 * and 288-304 → 228-242 MB from the zips, at the same speed; one job costs ~1 CPU s more (more full
 * collections) and ~20 MB less (bench/export.ts; single files: no change measured).
 *
 * Only the command line sets it: a program that imports fbstream owns its process's flags
 * (`node --heap-growing-percent=30 app.js` does the same there). A value the user gave wins.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 30;

/** The V8 flag to set, or null when the user gave node a value (NODE_OPTIONS cannot carry this one). */
export function heapFlag(execArgv: readonly string[]): string | null {
  const given = execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a));
  return given ? null : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

export function tuneHeap(): void {
  const flag = heapFlag(process.execArgv);
  if (flag) setFlagsFromString(flag);
}
