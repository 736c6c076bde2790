/**
 * OpenAI chat fine-tuning lines: `{"messages":[{role, content, name?, weight?}]}`. The hot path:
 * messages are written as the chunker built them, in one JSON.stringify.
 */
import type { ChatMessage, Example } from '../../types.js';

export function toOpenAiLine(example: Example): string {
  const messages = example.messages;
  // `sender` and `timestampMs` are for other formats (text) and are never OpenAI keys
  for (let i = 0; i < messages.length; ++i) {
    const m = messages[i]!;
    if (m.sender !== undefined || m.timestampMs !== undefined) return JSON.stringify({ messages: messages.map(openAiMessage) }) + '\n';
  }
  return '{"messages":' + JSON.stringify(messages) + '}\n';
}

function openAiMessage(m: ChatMessage): ChatMessage {
  const out: ChatMessage = { role: m.role, content: m.content };
  if (m.name !== undefined) out.name = m.name;
  if (m.weight !== undefined) out.weight = m.weight;
  return out;
}
