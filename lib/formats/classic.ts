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

/** Why a message without a `sender_name` string is skipped (the decoder then tries E2EE's keys). */
export const MISSING_SENDER_NAME = 'missing sender_name';

/**
 * One message's fields and kind, or why it is skipped. Its keys are read in one pass: a dozen
 * lookups by name, most of absent keys, cost more on objects of as many shapes as Meta's.
 */
export function interpretClassic(m: Raw): Interpreted<DecodedFields> {
  const read = decodeClassic(m);
  return typeof read === 'string' ? { ok: false, reason: read } : { ok: true, value: read };
}

/** {@link interpretClassic} without the wrapper: the fields, or the reason the message is skipped. */
export function decodeClassic(m: Raw): DecodedFields | string {
  let sender: unknown, ts: unknown, content: unknown, type: unknown, isUnsent: unknown, photos: unknown, videos: unknown;
  let audio: unknown, files: unknown, gifs: unknown, sticker: unknown, share: unknown, reactions: unknown, callDuration: unknown, users: unknown;
  for (const key in m) {
    switch (key) {
      case 'sender_name': sender = m[key]; break;
      case 'timestamp_ms': ts = m[key]; break;
      case 'content': content = m[key]; break;
      case 'type': type = m[key]; break;
      case 'is_unsent': isUnsent = m[key]; break;
      case 'photos': photos = m[key]; break;
      case 'videos': videos = m[key]; break;
      case 'audio_files': audio = m[key]; break;
      case 'files': files = m[key]; break;
      case 'gifs': gifs = m[key]; break;
      case 'sticker': sticker = m[key]; break;
      case 'share': share = m[key]; break;
      case 'reactions': reactions = m[key]; break;
      case 'call_duration': callDuration = m[key]; break;
      case 'users': users = m[key]; break;
    }
  }
  if (typeof sender !== 'string') return MISSING_SENDER_NAME;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return 'missing or non-numeric timestamp_ms';
  if (content !== undefined && typeof content !== 'string') return 'content is not a string';

  // most messages have no media: no array
  let attachments: Attachment[] | undefined;
  if (photos !== undefined) attachments = addUris(attachments, photos, 'photo');
  if (videos !== undefined) attachments = addUris(attachments, videos, 'video');
  if (audio !== undefined) attachments = addUris(attachments, audio, 'audio');
  if (files !== undefined) attachments = addUris(attachments, files, 'file');
  if (gifs !== undefined) attachments = addUris(attachments, gifs, 'gif');
  const stickerUri = isRaw(sticker) ? str(sticker['uri']) : undefined;
  if (stickerUri !== undefined) (attachments ??= []).push({ type: 'sticker', uri: stickerUri });
  const isShare = isRaw(share);
  const link = isRaw(share) ? str(share['link']) : undefined;
  if (link !== undefined) (attachments ??= []).push({ type: 'share', uri: link });

  let kind: MessageKind;
  if (isUnsent === true) kind = 'unsent';
  else if (type === 'Call' || callDuration !== undefined) kind = 'call';
  else if (type === 'Subscribe' || type === 'Unsubscribe' || Array.isArray(users)) kind = 'notice';
  else if (stickerUri !== undefined) kind = 'sticker';
  else if (attachments !== undefined && link === undefined) kind = 'media';
  // a share's content is often Meta's own words ("Bob sent a link."): a notice, not text
  else if (type === 'Share' || isShare) kind = (content && classifyNotice(content)) || 'share';
  else kind = textKind(content);

  const out: DecodedFields = { sender, timestampMs: ts, text: content ?? null, kind };
  if (attachments) out.attachments = attachments;
  const read = readReactions(reactions);
  if (read) out.reactions = read;
  return out;
}

/** `list`'s uris (a photos/videos/… list) appended as attachments of `type`. */
function addUris(to: Attachment[] | undefined, list: unknown, type: Attachment['type']): Attachment[] | undefined {
  for (const uri of uris(list)) (to ??= []).push({ type, uri });
  return to;
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
