/**
 * The classic "Download Your Information" message (docs/formats.md#classic-export); Instagram's is
 * the same schema (docs/formats.md#instagram). Keys: sender_name, timestamp_ms, content?, type?,
 * photos/videos/audio_files/files/gifs, sticker, share, reactions, call_duration, missed, users,
 * is_unsent.
 */
import type { Attachment, Message, MessageKind, Reaction } from '../types.js';
import { classifyNotice } from './notices.js';
import { isRaw, str, uriOf, type Interpreted, type Raw } from './raw.js';

/** The message keys the decoder assembles; all others are skipped unread. */
export const CLASSIC_KEYS = [
  'sender_name', 'timestamp_ms', 'content', 'type', 'is_unsent', 'photos', 'videos', 'audio_files',
  'files', 'gifs', 'sticker', 'share', 'reactions', 'call_duration', 'missed', 'users',
] as const;

/** What a dialect reads of one message; the decoder adds thread, position and repair. */
export type DecodedFields = Pick<Message, 'sender' | 'timestampMs' | 'text' | 'kind' | 'attachments' | 'reactions'>;

/** Why a message without a `sender_name` string is skipped (the decoder then tries E2EE's keys). */
export const MISSING_SENDER_NAME = 'missing sender_name';

/** One message's fields and kind, or why it is skipped. */
export function interpretClassic(m: Raw): Interpreted<DecodedFields> {
  const fields = emptyFields();
  const reason = readClassic(m, fields);
  return reason === null ? { ok: true, value: present(fields) } : { ok: false, reason };
}

/** Fields for {@link readClassic} or readE2ee (lib/formats/e2ee.ts) to fill, one message after another. */
export function emptyFields(): DecodedFields {
  return { sender: '', timestampMs: 0, text: null, kind: 'empty', attachments: undefined, reactions: undefined };
}

/** `fields` without the lists a message lacks. */
export function present(fields: DecodedFields): DecodedFields {
  const { sender, timestampMs, text, kind, attachments, reactions } = fields;
  const out: DecodedFields = { sender, timestampMs, text, kind };
  if (attachments) out.attachments = attachments;
  if (reactions) out.reactions = reactions;
  return out;
}

/**
 * {@link interpretClassic} into `fields` (the decoder's, reused: no object per message): null, or
 * why the message is skipped (`fields` then unspecified). The keys are read in one pass: a dozen
 * lookups by name, most of absent keys, cost more on objects of as many shapes as Meta's.
 */
export function readClassic(m: Raw, fields: DecodedFields): string | null {
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
  const stickerUri = uriOf(sticker);
  if (stickerUri !== undefined) attachments = append(attachments, { type: 'sticker', uri: stickerUri });
  const isShare = isRaw(share);
  const link = isRaw(share) ? str(share['link']) : undefined;
  if (link !== undefined) attachments = append(attachments, { type: 'share', uri: link });

  let kind: MessageKind;
  if (isUnsent === true) kind = 'unsent';
  else if (type === 'Call' || callDuration !== undefined) kind = 'call';
  else if (type === 'Subscribe' || type === 'Unsubscribe' || Array.isArray(users)) kind = 'notice';
  else if (stickerUri !== undefined) kind = 'sticker';
  else if (attachments !== undefined && link === undefined) kind = 'media';
  // a share's content is often Meta's own words ("Bob sent a link."): a notice, not text
  else if (type === 'Share' || isShare) kind = (content && classifyNotice(content)) || 'share';
  else kind = textKind(content);

  fields.sender = sender;
  fields.timestampMs = ts;
  fields.text = content ?? null;
  fields.kind = kind;
  fields.attachments = attachments;
  fields.reactions = readReactions(reactions);
  return null;
}

/**
 * The `uri` of each `{uri}` object of `list` (a photos/videos/… list) appended as attachments of
 * `type`: read in place (no list of the uris first, as raw.ts `uris` makes).
 */
function addUris(to: Attachment[] | undefined, list: unknown, type: Attachment['type']): Attachment[] | undefined {
  if (!Array.isArray(list)) return to;
  for (const item of list) {
    const uri = uriOf(item);
    if (uri !== undefined) to = append(to, { type, uri });
  }
  return to;
}

/** `to` with `a` at its end; a new list is made of exactly one (most messages have one attachment). */
function append(to: Attachment[] | undefined, a: Attachment): Attachment[] {
  if (to === undefined) return [a];
  to.push(a);
  return to;
}

export function textKind(content: string | undefined): MessageKind {
  if (content === undefined || content === '') return 'empty';
  return classifyNotice(content) ?? 'text';
}

export function readReactions(v: unknown): Reaction[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  // made at its size (a list grown by push starts at 17 places), cut to what was read
  const out: Reaction[] = new Array(v.length);
  let n = 0;
  for (const r of v) {
    if (!isRaw(r)) continue;
    const reaction = str(r['reaction']);
    const actor = str(r['actor']);
    if (reaction !== undefined && actor !== undefined) out[n++] = { reaction, actor };
  }
  if (n === 0) return undefined;
  out.length = n;
  return out;
}
