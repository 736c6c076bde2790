/**
 * Vertex AI supervised tuning for Gemini: `{"systemInstruction"?:{"role":"system","parts":[{"text"}]},
 * "contents":[{"role":"user|model","parts":[{"text"}]}]}`, as Vertex's dataset example writes it
 * (it ignores systemInstruction's role). Vertex wants user and model turns to alternate, a model
 * turn last, and no empty text part: consecutive turns of one role are joined, empty ones and
 * turns outside user … model left out and counted (lib/formats/output/alternate.ts).
 */
import type { Example } from '../../types.js';
import type { FormatCounts } from './index.js';
import { alternatingTurns } from './alternate.js';

interface GeminiContent {
  role: 'user' | 'model';
  parts: { text: string }[];
}

export function toGeminiLine(example: Example, counts: FormatCounts): string {
  const { system, turns, dropped } = alternatingTurns(example.messages, { dropEmpty: true });
  if (turns.length === 0) {
    ++counts.examplesSkipped;
    return '';
  }
  counts.turnsDropped += dropped;
  const contents: GeminiContent[] = turns.map((t) => ({ role: t.role === 'user' ? 'user' : 'model', parts: [{ text: t.text }] }));
  const line = system === undefined || system === '' ? { contents } : { systemInstruction: { role: 'system', parts: [{ text: system }] }, contents };
  return JSON.stringify(line) + '\n';
}
