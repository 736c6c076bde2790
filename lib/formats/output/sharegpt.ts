/**
 * ShareGPT: `{"conversations":[{"from":"system|human|gpt","value"}]}`. Loaders of it (FastChat,
 * LLaMA-Factory) drop a conversation that does not alternate human, gpt, …, gpt after an optional
 * system turn, so the turns are made to (lib/formats/output/alternate.ts).
 */
import type { Example } from '../../types.js';
import type { FormatCounts } from './index.js';
import { alternatingTurns } from './alternate.js';

interface ShareGptTurn {
  from: 'system' | 'human' | 'gpt';
  value: string;
}

export function toShareGptLine(example: Example, counts: FormatCounts): string {
  const { system, turns, dropped } = alternatingTurns(example.messages);
  if (turns.length === 0) {
    ++counts.examplesSkipped;
    return '';
  }
  counts.turnsDropped += dropped;
  const conversations: ShareGptTurn[] = [];
  if (system !== undefined) conversations.push({ from: 'system', value: system });
  for (const t of turns) conversations.push({ from: t.role === 'user' ? 'human' : 'gpt', value: t.text });
  return JSON.stringify({ conversations }) + '\n';
}
