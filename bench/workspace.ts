/**
 * A benchmark's temporary folder: removed at the end (unless kept) and on SIGINT/SIGTERM, after
 * which the signal is raised again so the process still ends as interrupted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Workspace {
  dir: string;
  /** Remove the folder (unless kept) and stop listening for signals. */
  dispose(): void;
}

export function benchWorkspace(parent: string, prefix: string, keep: boolean): Workspace {
  const dir = mkdtempSync(join(parent, prefix));
  const cleanup = () => {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    cleanup();
    process.kill(process.pid, sig);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    dir,
    dispose() {
      cleanup();
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}
