/**
 * The classic "Download Your Information" message (docs/formats.md#classic-export); Instagram's is
 * the same schema (docs/formats.md#instagram). Keys: sender_name, timestamp_ms, content?, type?,
 * photos/videos/audio_files/files/gifs, sticker, share, reactions, call_duration, missed, users,
 * is_unsent.
 */
import type { Attachment, Message, MessageKind, Reaction } from '../types.js';
import { classifyNotice } from './notices.js';
import { isRaw, str, uris, type Interpreted, type Raw } from './raw.js';

/** The message keys the decoder assembles; all others are skipped unread. */
export const CLASSIC_KEYS = [
  'sender_name', 'timestamp_ms', 'content', 'type', 'is_unsent', 'photos', 'videos', 'audio_files',
  'files', 'gifs', 'sticker', 'share', 'reactions', 'call_duration', 'missed', 'users',
] as const;

/** What a dialect reads of one message; the decoder adds thread, position and repair. */
export type DecodedFields = Pick<Message, 'sender' | 'timestampMs' | 'text' | 'kind' | 'attachments' | 'reactions'>;

const MEDIA: ReadonlyArray<[string, Attachment['type']]> = [
  ['photos', 'photo'], ['videos', 'video'], ['audio_files', 'audio'], ['files', 'file'], ['gifs', 'gif'],
];

export function interpretClassic(m: Raw): Interpreted<DecodedFields> {
  const sender = m['sender_name'];
  if (typeof sender !== 'string') return { ok: false, reason: 'missing sender_name' };
  const ts = m['timestamp_ms'];
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return { ok: false, reason: 'missing or non-numeric timestamp_ms' };
  const content = m['content'];
  if (content !== undefined && typeof content !== 'string') return { ok: false, reason: 'content is not a string' };

  // most messages have no media: no array, and no lookups past the key's absence
  let attachments: Attachment[] | undefined;
  for (const [key, type] of MEDIA) {
    const list = m[key];
    if (list !== undefined) for (const uri of uris(list)) (attachments ??= []).push({ type, uri });
  }
  const sticker = isRaw(m['sticker']) ? str(m['sticker']['uri']) : undefined;
  if (sticker !== undefined) (attachments ??= []).push({ type: 'sticker', uri: sticker });
  const link = isRaw(m['share']) ? str(m['share']['link']) : undefined;
  if (link !== undefined) (attachments ??= []).push({ type: 'share', uri: link });

  const type = m['type'];
  let kind: MessageKind;
  if (m['is_unsent'] === true) kind = 'unsent';
  else if (type === 'Call' || m['call_duration'] !== undefined) kind = 'call';
  else if (type === 'Subscribe' || type === 'Unsubscribe' || Array.isArray(m['users'])) kind = 'notice';
  else if (sticker !== undefined) kind = 'sticker';
  else if (attachments !== undefined && link === undefined) kind = 'media';
  // a share's content is often Meta's own words ("Bob sent a link."): a notice, not text
  else if (type === 'Share' || isRaw(m['share'])) kind = (content && classifyNotice(content)) || 'share';
  else kind = textKind(content);

  const out: DecodedFields = { sender, timestampMs: ts, text: content ?? null, kind };
  if (attachments) out.attachments = attachments;
  const reactions = readReactions(m['reactions']);
  if (reactions) out.reactions = reactions;
  return { ok: true, value: out };
}

export function textKind(content: string | undefined): MessageKind {
  if (content === undefined || content === '') return 'empty';
  return classifyNotice(content) ?? 'text';
}

export function readReactions(v: unknown): Reaction[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const out: Reaction[] = [];
  for (const r of v) {
    if (!isRaw(r)) continue;
    const reaction = str(r['reaction']);
    const actor = str(r['actor']);
    if (reaction !== undefined && actor !== undefined) out.push({ reaction, actor });
  }
  return out.length ? out : undefined;
}
