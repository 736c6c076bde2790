/**
 * `--split`: whole threads go to the training or the validation file, never both, by a digest of
 * the seed and the thread's key: the same seed puts each thread on the same side in every run.
 */
import { createHash } from 'node:crypto';

/** Whether the thread `key` goes to training, `share` of threads doing so (0 < share < 1). */
export function inTraining(key: string, share: number, seed: number): boolean {
  const digest = createHash('sha256').update(`${seed}\0${key}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < share;
}

export function splitJobs<T extends { key: string }>(jobs: readonly T[], share: number, seed: number): [training: T[], validation: T[]] {
  const training: T[] = [];
  const validation: T[] = [];
  for (const job of jobs) (inTraining(job.key, share, seed) ? training : validation).push(job);
  return [training, validation];
}
