/**
 * The end-to-end-encrypted chat download (docs/formats.md#e2ee-download): camelCase keys, `text`
 * instead of `content`, `timestamp` in ms, `type` text|link|media|placeholder, unsent as
 * placeholder+isUnsent.
 */
import type { Attachment, MessageKind } from '../types.js';
import { emptyFields, present, readReactions, textKind, type DecodedFields } from './classic.js';
import { uris, type Interpreted, type Raw } from './raw.js';

export const E2EE_KEYS = ['senderName', 'timestamp', 'text', 'type', 'isUnsent', 'media', 'reactions'] as const;

export function interpretE2ee(m: Raw): Interpreted<DecodedFields> {
  const fields = emptyFields();
  const reason = readE2ee(m, fields);
  return reason === null ? { ok: true, value: present(fields) } : { ok: false, reason };
}

/** {@link interpretE2ee} into `fields`, as readClassic (lib/formats/classic.ts): null, or why the message is skipped. */
export function readE2ee(m: Raw, fields: DecodedFields): string | null {
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

  fields.sender = sender;
  fields.timestampMs = ts;
  fields.text = text ?? null;
  fields.kind = kind;
  fields.attachments = attachments.length ? attachments : undefined;
  fields.reactions = readReactions(m['reactions']);
  return null;
}
