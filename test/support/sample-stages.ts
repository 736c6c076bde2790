/**
 * A sample input that gives every stage work to do, and each stage's input made from it by the
 * cores before it (for the stream tests in test/streams/). Every call builds fresh records: stages
 * write into the records they pass on (sessions numbers messages, the role mapper sets roles).
 */
import { createChunker, type ChunkerOptions } from '../../lib/core/chunker.js';
import { createDecoder } from '../../lib/core/decoder.js';
import { createDedupe } from '../../lib/core/dedupe.js';
import { createFilter, type FilterOptions } from '../../lib/core/filter.js';
import { createOrder } from '../../lib/core/order/order.js';
import { createRoleMapper, type RoleMapperOptions } from '../../lib/core/role-mapper.js';
import { createRunMerger } from '../../lib/core/run-merger.js';
import { createSessions, type SessionsOptions } from '../../lib/core/sessions.js';
import { createTokenizer } from '../../lib/core/tokenizer.js';
import type { Example, Message, RoleTurn, TokenChunk, Turn } from '../../lib/types.js';
import { metaJson } from './messages.js';
import { runStage } from './stage.js';

export const ME = 'Ada Lovelace';
const ZOE = 'Zoë Brontë';
const BOB = 'Bob Stone';
const T0 = 1_600_000_000_000;
const HOUR = 3_600_000;

export const FILTER: FilterOptions = { kinds: ['text', 'share', 'media'] };
export const SESSIONS: SessionsOptions = { gapMs: HOUR };
export const ROLES: RoleMapperOptions = { me: ME, names: true };
export const CHUNKS: ChunkerOptions = { window: 3, overlap: 1 };

type Raw = Record<string, unknown>;

/** A two-person thread, oldest first: runs of one sender, silences, media, notices, a call, blanks, ties. */
function zoeMessages(): Raw[] {
  const out: Raw[] = [];
  for (let i = 0; i < 40; ++i) {
    const sender = i % 5 < 2 ? ZOE : ME;
    // three sessions: two silences of a day
    const ts = T0 + i * 60_000 + (i >= 15 ? 24 * HOUR : 0) + (i >= 30 ? 24 * HOUR : 0);
    const m: Raw = { sender_name: sender, timestamp_ms: ts };
    if (i % 9 === 4) m['photos'] = [{ uri: `photos/${i}.jpg` }];
    else if (i % 11 === 6) m['content'] = `${sender} sent an attachment.`;
    else if (i === 12) Object.assign(m, { content: `${sender} called you.`, call_duration: 30 });
    else if (i === 13) m['content'] = '  ';
    else if (i === 20) Object.assign(m, { content: 'Liked a message', type: 'Generic' });
    else m['content'] = `#${i} café ☕ ${i % 4 === 0 ? '🎉' : ''}${' x'.repeat(i % 6)}`;
    out.push(m);
  }
  // two messages in one millisecond, and a copy of one (overlapping parts)
  out.push({ sender_name: ME, timestamp_ms: T0 + 50 * HOUR, content: 'first of a millisecond' });
  out.push({ sender_name: ME, timestamp_ms: T0 + 50 * HOUR, content: 'second of a millisecond' });
  return out;
}

/** Meta's parts, newest first: message_1 the newest; the part boundary's message in both (a duplicate). */
function zoeParts(): string[] {
  const newestFirst = zoeMessages().reverse();
  const doc = (messages: Raw[]) =>
    metaJson({ participants: [{ name: ZOE }, { name: ME }], messages, title: ZOE, is_still_participant: true, thread_path: 'inbox/zoebronte_1' });
  return [doc(newestFirst.slice(0, 23)), doc(newestFirst.slice(22))];
}

/** A group chat (names for the others) and an E2EE download thread (raw UTF-8, oldest first). */
function groupDoc(): string {
  const people = [ME, ZOE, BOB];
  const messages = Array.from({ length: 14 }, (_, i) => ({ sender_name: people[(i * 7) % 3], timestamp_ms: T0 + 2 * HOUR + i * 1000, content: `group ${i} naïve` })).reverse();
  return metaJson({ participants: people.map((name) => ({ name })), messages, title: 'Engines', thread_type: 'RegularGroup', thread_path: 'inbox/engines_2' });
}

function e2eeDoc(): string {
  const messages = Array.from({ length: 9 }, (_, i) => ({ senderName: i % 3 === 0 ? ME : BOB, timestamp: T0 + i * 5000, text: `e2ee ${i} 日本語 😂`, type: 'text', isUnsent: false, media: [], reactions: [] }));
  return JSON.stringify({ participants: [ME, BOB], threadName: 'Bob Stone_3', messages }, null, 2) + '\n';
}

/** The sample's bytes: several documents on one stream, a byte-order mark first, escaped and raw UTF-8. */
export function sampleBytes(): Buffer {
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([...zoeParts(), groupDoc(), e2eeDoc()].join(''))]);
}

/** The tokenizer's output for the whole sample in one push. */
export function tokenChunks(): TokenChunk[] {
  return runStage(createTokenizer({ source: 'sample.json' }), [sampleBytes()]);
}

export function decoded(): Message[] {
  return runStage(createDecoder(), [tokenChunks()]);
}

export function filtered(): Message[] {
  return runStage(createFilter(FILTER), [decoded()]);
}

export function ordered(): Message[] {
  return runStage(createOrder(), [filtered()]);
}

export function deduped(): Message[] {
  return runStage(createDedupe(), [ordered()]);
}

export function sessioned(): Message[] {
  return runStage(createSessions(SESSIONS), [deduped()]);
}

export function turns(): Turn[] {
  return runStage(createRunMerger(), [sessioned()]);
}

export function roleTurns(): RoleTurn[] {
  return runStage(createRoleMapper(ROLES), [turns()]);
}

export function examples(): Example[] {
  return runStage(createChunker(CHUNKS), [roleTurns()]);
}
