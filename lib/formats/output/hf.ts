/**
 * Hugging Face TRL's conversational language-modeling format: `{"messages":[{role, content}]}`,
 * one entry per message. TRL hands the messages to the tokenizer's chat template, which reads
 * role and content only, so `name` is kept as a prefix of the text (lib/formats/output/speaker.ts)
 * and `weight` has no place.
 */
import type { Example } from '../../types.js';
import { contentWithName } from './speaker.js';

export function toHfLine(example: Example): string {
  const messages = example.messages.map((m) => ({ role: m.role, content: contentWithName(m) }));
  return JSON.stringify({ messages }) + '\n';
}
