/**
 * A JSONL of chat examples of about `bytes` bytes, written as it is generated (constant memory),
 * deterministic: varied words, some accents, CJK and emoji, 2 to 8 messages a line.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const WORDS = ['hey', 'are', 'you', 'coming', 'tonight', 'the', 'train', 'was', 'late', 'again', 'lol', 'café', 'naïve', 'Søren',
  '你好', '谢谢', '😀', '👍', 'ok', 'see', 'you', 'at', '7', 'tomorrow', 'https://example.com/a?b=1', 'dinner', 'sounds', 'great!', 'what', 'about', 'Friday?'];

export async function generateJsonl(path: string, bytes: number, seed = 1): Promise<{ lines: number; bytes: number }> {
  let state = seed >>> 0 || 1;
  const rand = (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  const out = createWriteStream(path);
  let written = 0;
  let lines = 0;
  while (written < bytes) {
    const messages: { role: string; content: string }[] = [];
    const n = 2 + rand(7);
    for (let i = 0; i < n; i++) {
      const words: string[] = [];
      for (let w = 4 + rand(60); w > 0; w--) words.push(WORDS[rand(WORDS.length)]!);
      messages.push({ role: i % 2 === 0 ? 'user' : 'assistant', content: words.join(' ') });
    }
    if (messages.length % 2 === 1) messages.pop();
    const line = JSON.stringify({ messages }) + '\n';
    written += Buffer.byteLength(line);
    lines++;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { lines, bytes: written };
}
