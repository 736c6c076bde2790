/**
 * The end-to-end-encrypted chat download (docs/formats.md#e2ee-download): camelCase keys, `text`
 * instead of `content`, `timestamp` in ms, `type` text|link|media|placeholder, unsent as
 * placeholder+isUnsent.
 */
import type { Attachment, MessageKind } from '../types.js';
import { readReactions, textKind, type DecodedFields } from './classic.js';
import { uris, type Interpreted, type Raw } from './raw.js';

export const E2EE_KEYS = ['senderName', 'timestamp', 'text', 'type', 'isUnsent', 'media', 'reactions'] as const;

export function interpretE2ee(m: Raw): Interpreted<DecodedFields> {
  const read = decodeE2ee(m);
  return typeof read === 'string' ? { ok: false, reason: read } : { ok: true, value: read };
}

/** {@link interpretE2ee} without the wrapper: the fields, or the reason the message is skipped. */
export function decodeE2ee(m: Raw): DecodedFields | string {
  const sender = m['senderName'];
  if (typeof sender !== 'string') return 'missing senderName';
  const ts = m['timestamp'];
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return 'missing or non-numeric timestamp';
  const text = m['text'];
  if (text !== undefined && typeof text !== 'string') return 'text is not a string';

  const attachments: Attachment[] = uris(m['media']).map((uri) => ({ type: 'media' as const, uri }));
  let kind: MessageKind;
  if (m['isUnsent'] === true) kind = 'unsent';
  else if (attachments.length > 0 && !text) kind = 'media';
  else if (m['type'] === 'link') kind = 'share';
  else kind = textKind(text);

  const out: DecodedFields = { sender, timestampMs: ts, text: text ?? null, kind };
  if (attachments.length) out.attachments = attachments;
  const reactions = readReactions(m['reactions']);
  if (reactions) out.reactions = reactions;
  return out;
}
