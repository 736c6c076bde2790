/**
 * What formats without a `name` field do with one: a named user turn (another speaker in a group
 * chat) gets the name as a prefix of its text, so who said what survives; assistant turns are
 * never prefixed, so the model does not learn to write a name before its replies.
 */
import type { ChatMessage } from '../../types.js';

export function contentWithName(m: ChatMessage): string {
  return m.name !== undefined && m.role === 'user' ? `${m.name}: ${m.content}` : m.content;
}
