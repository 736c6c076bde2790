/** Small fine-tuning datasets written to a temporary folder for the train tests. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One valid OpenAI chat example, `i` making it unique. */
export function exampleLine(i: number, padding = ''): string {
  return JSON.stringify({
    messages: [
      { role: 'system', content: 'You are Ada.' },
      { role: 'user', content: `Question ${i}: how is the engine today?${padding}` },
      { role: 'assistant', content: `Answer ${i}: it computes Bernoulli numbers.` },
    ],
  });
}

/** `n` valid examples in `dir/name`; returns the path. */
export function writeDataset(dir: string, name: string, n: number, padding = ''): string {
  const path = join(dir, name);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(exampleLine(i, padding));
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** A dataset of about `bytes` bytes (each example padded to ~1 KB). */
export function writeLargeDataset(dir: string, name: string, bytes: number): string {
  const padding = ' '.repeat(900);
  return writeDataset(dir, name, Math.max(10, Math.ceil(bytes / 1000)), padding);
}
