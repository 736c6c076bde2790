/** Small fine-tuning datasets written to a temporary folder for the train tests. */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
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

/**
 * examples/export copied to `dir` with `threads` more 1:1 threads of Ada Lovelace's, each of four
 * conversations (8 hours apart) of three question-and-answer pairs: enough examples to train on.
 */
export function writeTrainableExport(root: string, dir: string, threads = 4): string {
  cpSync(join(root, 'examples', 'export'), dir, { recursive: true });
  for (let t = 0; t < threads; t++) {
    const friend = `Friend ${t}`;
    const path = `inbox/friend${t}_${1000 + t}`;
    const folder = join(dir, 'your_facebook_activity', 'messages', path);
    mkdirSync(folder, { recursive: true });
    const messages: { sender_name: string; timestamp_ms: number; content: string }[] = [];
    let ts = 1_700_000_000_000 + t * 1e9;
    for (let s = 0; s < 4; s++) {
      for (let i = 0; i < 3; i++) {
        messages.push({ sender_name: friend, timestamp_ms: (ts += 60_000), content: `Question ${t}.${s}.${i} about the engine?` });
        messages.push({ sender_name: 'Ada Lovelace', timestamp_ms: (ts += 60_000), content: `Answer ${t}.${s}.${i}: the engine weaves algebra.` });
      }
      ts += 8 * 3_600_000;
    }
    messages.reverse(); // newest first, as exports write them
    const thread = { participants: [{ name: friend }, { name: 'Ada Lovelace' }], messages, title: friend, is_still_participant: true, thread_path: path, magic_words: [] };
    writeFileSync(join(folder, 'message_1.json'), JSON.stringify(thread, null, 2));
  }
  return dir;
}
