/** Builders, arbitraries and shape checks shared by the output format tests. */
import fc from 'fast-check';
import type { ChatMessage, Example } from '../../../lib/types.js';
import type { FormatCounts } from '../../../lib/formats/output/index.js';
import { threadInfo } from '../../support/messages.js';

const thread = threadInfo();

export function example(messages: ChatMessage[]): Example {
  return { thread, messages, meta: { session: 0, firstTimestampMs: 0, lastTimestampMs: 0 } };
}

export function counts(): FormatCounts {
  return { examplesSkipped: 0, turnsDropped: 0 };
}

/** Text with what breaks writers: lone surrogates, line breaks of every kind, quotes, emoji. */
const content = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('a', ' ', '\n', '\r', '\r\n', '\ud800', '\udfff', 'é', '🎉', '\u2028', '"', '\\', '\t'), maxLength: 20 }),
);

const message: fc.Arbitrary<ChatMessage> = fc
  .record(
    {
      role: fc.constantFrom('user', 'assistant', 'assistant', 'user', 'system'),
      content,
      name: fc.constantFrom('Bob', 'participant_3'),
      weight: fc.constantFrom(0, 1),
      sender: fc.oneof(fc.constantFrom('Ada Lovelace', '王伟', 'Søren', ' ', 'a\nb'), content),
      timestampMs: fc.oneof(fc.integer({ min: -1e13, max: 1e13 }), fc.constantFrom(Number.NaN, 9e15, 1704457800000)),
    },
    { requiredKeys: ['role', 'content'] },
  )
  .map((m) => {
    // weight on assistant messages only, as the chunker sets it; no key present as undefined
    const out = { ...m } as ChatMessage;
    if (m.role !== 'assistant') delete out.weight;
    return out;
  });

export const anyExample: fc.Arbitrary<Example> = fc.array(message, { maxLength: 10 }).map(example);

export function keysOf(o: unknown): string[] {
  return o !== null && typeof o === 'object' ? Object.keys(o) : [];
}
