/**
 * Together AI's conversational format wants each example to start with a system or user message
 * and then alternate user and assistant. OpenAI's does not (group chats give user turns in a row,
 * turns further apart than `--merge-gap` stay separate), so a file checked for OpenAI can still
 * be refused by Together: this counts the examples that break the order, for a warning.
 */
import { readLines } from '../validate/read-lines.js';
import { LINES_KEPT } from '../validate/issues.js';

export interface TurnOrderResult {
  /** Examples whose turns do not alternate. */
  count: number;
  /** The first of their line numbers. */
  lines: number[];
}

/** Whether `messages` start with system or user and then alternate user and assistant. */
export function alternates(messages: readonly { role?: unknown }[]): boolean {
  let i = messages[0]?.role === 'system' ? 1 : 0;
  let expected = 'user';
  for (; i < messages.length; i++) {
    if (messages[i]?.role !== expected) return false;
    expected = expected === 'user' ? 'assistant' : 'user';
  }
  return true;
}

/** Reads `path` (already validated: every line an example or blank) and counts the examples out of order. */
export async function checkTurnOrder(path: string, signal?: AbortSignal): Promise<TurnOrderResult> {
  const result: TurnOrderResult = { count: 0, lines: [] };
  for await (const batch of readLines(path, signal ? { signal } : {})) {
    for (const line of batch) {
      if (line.kind !== 'line' || line.text.trim() === '') continue;
      const messages = (JSON.parse(line.text) as { messages?: unknown }).messages;
      if (!Array.isArray(messages) || alternates(messages as { role?: unknown }[])) continue;
      result.count++;
      if (result.lines.length < LINES_KEPT) result.lines.push(line.lineNumber);
    }
  }
  return result;
}
