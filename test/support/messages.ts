/** Builders for records in core tests. */
import type { Message, RoleTurn, ThreadInfo, Turn } from '../../lib/types.js';

export function threadInfo(id = 'inbox/t_1', extra: Partial<ThreadInfo> = {}): ThreadInfo {
  return { id, source: `${id}/message_1.json`, title: id, participants: [], dialect: 'classic', section: 'inbox', isGroup: false, ...extra };
}

export function msg(thread: ThreadInfo, sender: string, timestampMs: number, text: string | null = `${sender}@${timestampMs}`, extra: Partial<Message> = {}): Message {
  return { thread, sender, timestampMs, text, kind: 'text', index: 0, session: 0, ...extra };
}

export function turn(thread: ThreadInfo, sender: string, text: string, extra: Partial<Turn> = {}): Turn {
  return { thread, session: 0, sender, text, firstTimestampMs: 0, lastTimestampMs: 0, count: 1, ...extra };
}

export function roleTurn(thread: ThreadInfo, role: 'user' | 'assistant', text: string, extra: Partial<RoleTurn> = {}): RoleTurn {
  return { ...turn(thread, role === 'assistant' ? 'me' : 'them', text), role, ...extra };
}

/** A classic Meta document as Meta writes it: ASCII, every non-ASCII UTF-8 byte as \u00XX. */
export function metaJson(doc: unknown): string {
  const s = JSON.stringify(doc, null, 2);
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `\\u00${b.toString(16).padStart(2, '0')}`;
  }
  return out + '\n';
}
