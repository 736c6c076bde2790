/**
 * Email addresses in free text. Practical rather than RFC 5322: a dot-atom local part of letters
 * (any script), digits and `_ % + -` with inner `.` or `'` (o'brien@…), then a domain of at least
 * two labels whose last is letters (any script: 例子.中国) or punycode. Quoted local parts and IP
 * literals are left out: they do not occur in chat.
 */
import type { PiiSpan } from './spans.js';

const LOCAL = String.raw`[\p{L}\p{M}\p{N}_%+\-]+(?:[.'][\p{L}\p{M}\p{N}_%+\-]+)*`;
const LABEL = String.raw`[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}\-]{0,61}[\p{L}\p{M}\p{N}])?`;
const TLD = String.raw`(?:\p{L}[\p{L}\p{M}]{1,62}|xn--[a-z0-9\-]{1,59})`;
// not glued to a longer word on either side, nor followed by another label (sentence dots are fine)
const EMAIL = new RegExp(
  String.raw`(?<![\p{L}\p{M}\p{N}_%+\-.'@])${LOCAL}@(?:${LABEL}\.)+${TLD}(?![\p{L}\p{M}\p{N}_\-@]|\.[\p{L}\p{N}])`,
  'giu',
);

/** Gate (also the redactor's): no `@`, no email. */
export const EMAIL_GATE = '@';

export function findEmails(text: string, out: PiiSpan[]): void {
  if (!text.includes('@')) return;
  EMAIL.lastIndex = 0;
  for (let m = EMAIL.exec(text); m; m = EMAIL.exec(text)) {
    out.push({ start: m.index, end: m.index + m[0].length, kind: 'emails' });
  }
}
