/**
 * Plain transcripts for base models (the GPT-2-on-Messenger corpus): one record per example,
 * `{"text": …}`, one line per message, `(2024-01-05T12:30:00Z) Ada Lovelace: text`. A message's
 * further lines are indented by two spaces (blank ones stay blank), so a line that starts a message
 * is never indented nor blank. JSON lines, not raw text with blank-line separators: a message can
 * hold blank lines itself, and one record per line keeps the file streamable, splittable and
 * readable by `datasets`' json loader (`jq -r .text` gives the raw corpus).
 * System messages are left out: a base model has no instructions, only the transcript.
 */
import type { ChatMessage, Example } from '../../types.js';
import type { FormatCounts } from './index.js';

export function toTextLine(example: Example, counts: FormatCounts): string {
  let text = '';
  for (const m of example.messages) {
    if (m.role === 'system') continue;
    if (text !== '') text += '\n';
    text += transcriptLine(m);
  }
  if (text === '') {
    ++counts.examplesSkipped;
    return '';
  }
  return JSON.stringify({ text }) + '\n';
}

/**
 * One message of a transcript. The sender is `sender` (the display name), else `name`, else the
 * role; the time is left out when the message has none.
 */
export function transcriptLine(m: ChatMessage): string {
  const time = isoSeconds(m.timestampMs);
  const head = `${time === undefined ? '' : `(${time}) `}${speakerOf(m)}:`;
  const lines = m.content.split(/\r\n?|\n/);
  let rest = '';
  for (let i = 1; i < lines.length; ++i) rest += lines[i] === '' ? '\n' : `\n  ${lines[i]}`;
  return lines[0] === '' ? head + rest : `${head} ${lines[0]}${rest}`;
}

function speakerOf(m: ChatMessage): string {
  const who = (m.sender ?? m.name ?? '').replace(/\s+/g, ' ').trim();
  return who !== '' ? who : m.role === 'assistant' ? 'Assistant' : 'User';
}

/** `2024-01-05T12:30:00Z`: UTC to the second; undefined for a missing or unrepresentable time. */
export function isoSeconds(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return undefined;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
