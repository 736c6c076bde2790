/**
 * Young-generation collections without helper threads when every core runs a job.
 *
 * V8's scavenger splits each young collection among helper threads and waits for them. With as
 * many JavaScript threads as cores (`--jobs` >= cores), no core is free for the helpers: each
 * collection waits for helpers that wait for a core the other jobs hold, and without helpers the
 * run is faster. With fewer jobs than cores the helpers have a core of their own, and one job
 * keeps them. Figures: docs/performance.md#young-collections-with-every-core-busy.
 *
 * The flag is V8's `--no-parallel-scavenge`, set with `v8.setFlagsFromString`, which Node keeps
 * working for this (it starts V8 with `--no-freeze-flags-after-init`). V8 reads this flag when each
 * collection starts (ScavengerCollector::NumberOfScavengeTasks), so setting it while the process
 * runs changes the task count of the next collections and nothing else. It holds process-wide:
 * worker threads too. The process is the CLI's own, which is why the library leaves this to its
 * callers (README, "Library").
 */
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';

export const SERIAL_SCAVENGE_FLAG = '--no-parallel-scavenge';

/** The flag to set for `jobs` on `cores`, or null: none when node's command line already chose. */
export function scavengerFlag(jobs: number, cores: number, execArgv: readonly string[]): string | null {
  if (jobs < 2 || jobs < cores) return null;
  if (execArgv.some((a) => /^--(no-?)?parallel[-_]scavenge(=|$)/.test(a))) return null;
  return SERIAL_SCAVENGE_FLAG;
}

/** Set the flag this process needs for `jobs` (see above); returns it, or null. */
export function tuneScavenger(jobs: number): string | null {
  const flag = scavengerFlag(jobs, availableParallelism(), process.execArgv);
  if (flag) setFlagsFromString(flag);
  return flag;
}
