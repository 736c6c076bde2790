/**
 * Strict user/assistant alternation, for trainers that require it (Vertex, and ShareGPT loaders
 * such as LLaMA-Factory's): consecutive turns of one role are joined with a blank line, the
 * conversation starts on a user turn and ends on an assistant turn.
 */
import type { ChatMessage } from '../../types.js';
import { contentWithName } from './speaker.js';

export interface AlternatingTurns {
  /** System messages' texts, joined with a blank line; undefined when there is none. */
  system: string | undefined;
  /** user, assistant, user, …, assistant; empty when no user turn precedes an assistant turn. */
  turns: { role: 'user' | 'assistant'; text: string }[];
  /** Messages left out: assistant turns before the first user turn, user turns after the last assistant turn, empty ones when asked. */
  dropped: number;
}

export function alternatingTurns(messages: readonly ChatMessage[], options: { dropEmpty?: boolean } = {}): AlternatingTurns {
  let system: string | undefined;
  const turns: AlternatingTurns['turns'] = [];
  let dropped = 0;
  // messages that make up the last turn, dropped with it if it is a user turn
  let lastCount = 0;
  for (const m of messages) {
    if (m.role === 'system') {
      system = system === undefined ? m.content : `${system}\n\n${m.content}`;
      continue;
    }
    const last = turns[turns.length - 1];
    if ((options.dropEmpty && m.content === '') || (last === undefined && m.role === 'assistant')) {
      ++dropped;
      continue;
    }
    const text = contentWithName(m);
    if (last !== undefined && last.role === m.role) {
      last.text += `\n\n${text}`;
      ++lastCount;
    } else {
      turns.push({ role: m.role, text });
      lastCount = 1;
    }
  }
  if (turns.length > 0 && turns[turns.length - 1]!.role === 'user') {
    turns.pop();
    dropped += lastCount;
  }
  return { system, turns, dropped };
}
