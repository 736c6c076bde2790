/**
 * Loaded with `node --import` into a process the benchmark does not write (the CLI): at exit it
 * reports the process's peak RSS and CPU time on stderr, on one line the benchmark picks out.
 */
import { writeSync } from 'node:fs';

/** bench/run.ts looks for this prefix. */
const MARK = 'FBSTREAM_BENCH_USAGE ';

process.once('exit', () => {
  const u = process.resourceUsage();
  const line = { maxRssBytes: u.maxRSS * 1024, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 };
  try {
    writeSync(2, `\n${MARK}${JSON.stringify(line)}\n`);
  } catch {
    // stderr closed: nothing to report to
  }
});
