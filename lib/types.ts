/**
 * The records that flow between stages (docs/architecture.md#records).
 * Stages pass arrays of these, never one object per stream chunk.
 */
import type { Token } from 'stream-json/core/parser.js';

export type { Token };

/**
 * The elements of a top-level `messages` array, parsed at once by the tokenizer's fast path (see
 * lib/core/message-scanner.ts); stands between that array's startArray and endArray tokens.
 */
export interface MessageValues {
  name: 'messageValues';
  value: unknown[];
  /** Byte offset of the first element in the source. */
  offset: number;
}

export type TokenOrValues = Token | MessageValues;

/** What the tokenizer hands the decoder: the tokens of one input chunk and where they came from. */
export interface TokenChunk {
  source: string;
  /** Bytes of this source consumed before this chunk. */
  offset: number;
  tokens: TokenOrValues[];
}

export type Dialect = 'classic' | 'e2ee' | 'instagram';

/**
 * One per thread (one per document until the order stage joins the parts of a thread), shared by
 * every message of it and compared by reference: a change of reference is a thread boundary.
 */
export interface ThreadInfo {
  /** `thread_path` (`inbox/alice_123`) when the export has it, else the title or the source. */
  id: string;
  /** File path or zip entry of the (first) document. */
  source: string;
  title: string;
  participants: string[];
  dialect: Dialect;
  /** `inbox`, `archived_threads`, … when known from `thread_path`. */
  section: string | null;
  isGroup: boolean;
  /** Messages of each sender that reached the order stage (filled there, before any is emitted). */
  senderCounts?: Map<string, number>;
}

export type MessageKind =
  | 'text'
  | 'media'
  | 'sticker'
  | 'share'
  | 'call'
  | 'unsent'
  | 'notice'
  | 'reaction'
  | 'empty';

export interface Attachment {
  type: 'photo' | 'video' | 'audio' | 'file' | 'gif' | 'sticker' | 'share' | 'media';
  uri: string;
}

export interface Reaction {
  reaction: string;
  actor: string;
}

export interface Message {
  thread: ThreadInfo;
  sender: string;
  timestampMs: number;
  /** `content` (repaired); null when the message had none. */
  text: string | null;
  kind: MessageKind;
  attachments?: Attachment[];
  reactions?: Reaction[];
  /** Position of the message in its document (for error messages and stable order). */
  index: number;
  /** Session number inside the thread; the sessions stage raises it at long silences. */
  session: number;
}

/** Consecutive messages of one sender. */
export interface Turn {
  thread: ThreadInfo;
  session: number;
  sender: string;
  text: string;
  firstTimestampMs: number;
  lastTimestampMs: number;
  count: number;
}

export type Role = 'system' | 'user' | 'assistant';

export interface RoleTurn extends Turn {
  role: Role;
  name?: string;
}

export interface ChatMessage {
  role: Role;
  content: string;
  name?: string;
  /** Assistant messages only: 0 = context, not trained; 1 = trained. Written by the `openai` format only. */
  weight?: 0 | 1;
  /** The turn's sender as written in the export, for formats that show it (`text`); never an OpenAI key. */
  sender?: string;
  /** When the turn began (its first message), ms since the epoch, for formats that show it (`text`). */
  timestampMs?: number;
}

export interface Example {
  thread: ThreadInfo;
  messages: ChatMessage[];
  meta: { session: number; firstTimestampMs: number; lastTimestampMs: number };
}

/** Records of one thread segment share thread and session; a change of either is a boundary. */
export function sameSegment(a: { thread: ThreadInfo; session: number }, b: { thread: ThreadInfo; session: number }): boolean {
  return a.thread === b.thread && a.session === b.session;
}
