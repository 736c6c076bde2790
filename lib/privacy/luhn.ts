/**
 * Payment card numbers: 13 to 19 digits, written solid or in groups split by one space or one
 * dash (the same separator throughout), that pass the Luhn check. A run of one repeated digit
 * passes Luhn but is no card. Thirteen digits that pass the EAN-13 check are taken for a barcode or
 * an ISBN-13: 13-digit cards are a retired Visa length, and one Luhn-valid number in ten passes.
 */
import type { PiiSpan } from './spans.js';

/** Luhn (mod 10) over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** The EAN-13 (and ISBN-13) check digit: weights 1, 3, 1, 3, … */
export function ean13Valid(digits: string): boolean {
  if (digits.length !== 13) return false;
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += (digits.charCodeAt(i) - 48) * (i % 2 ? 3 : 1);
  return sum % 10 === 0;
}

/** Whether these digits, found in text, are taken for a card number. */
export function isCardNumber(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  if (/^(\d)\1*$/.test(digits)) return false;
  return luhnValid(digits) && !ean13Valid(digits);
}

// a run of digit groups; not part of a word, a decimal, a signed or a longer dashed number
const CANDIDATE = /(?<![\p{L}\p{N}_+.,\-\/])(?:\d{13,19}|\d{1,8}(?: \d{1,8}){1,18}|\d{1,8}(?:-\d{1,8}){1,18})(?![\p{L}\p{N}_]|[.,\-\/]\d)/gu;
/** Gate (also the redactor's): thirteen digits with at most one space or dash between them. */
export const CARD_GATE = String.raw`\d(?:[ \-]?\d){12}`;
const MAY_HOLD_CARD = new RegExp(CARD_GATE, 'u');

export function findCards(text: string, out: PiiSpan[]): void {
  if (!MAY_HOLD_CARD.test(text)) return;
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m; m = CANDIDATE.exec(text)) {
    const raw = m[0];
    const groups: { start: number; digits: string }[] = [];
    for (const g of raw.matchAll(/\d+/g)) groups.push({ start: g.index, digits: g[0] });
    if (isCardShaped(groups.map((g) => g.digits.length)) && isCardNumber(groups.map((g) => g.digits).join(''))) {
      out.push({ start: m.index, end: m.index + raw.length, kind: 'cards' });
    } else if (groups.length > 1) {
      findCardInGroups(groups, m.index, out);
    }
  }
}

/**
 * Solid, in a grouping cards are printed in, or in groups of at least three digits. A short group
 * at an end is more likely a neighbouring number ("4111 1111 1111 1111 3 days"): that run is
 * searched for a card-shaped stretch instead.
 */
function isCardShaped(lengths: readonly number[]): boolean {
  return lengths.length === 1 || lengths.every((n) => n >= 3) || CARD_SHAPES.some((shape) => shape.length === lengths.length && sameShape(shape, lengths, 0));
}

function sameShape(shape: readonly number[], lengths: readonly number[], from: number): boolean {
  if (from + shape.length > lengths.length) return false;
  return shape.every((len, k) => lengths[from + k] === len);
}

/**
 * A run longer than its card ("2 tickets 4111 1111 1111 1111 3" reads as one run): look for a
 * stretch of whole groups in a card grouping, not for any sub-run, so that arbitrary stretches do
 * not each get a 1-in-10 chance at Luhn.
 */
function findCardInGroups(groups: readonly { start: number; digits: string }[], offset: number, out: PiiSpan[]): void {
  const lengths = groups.map((g) => g.digits.length);
  for (let i = 0; i < groups.length; i++) {
    for (const shape of CARD_SHAPES) {
      if (!sameShape(shape, lengths, i)) continue;
      const digits = groups.slice(i, i + shape.length).map((g) => g.digits).join('');
      if (!isCardNumber(digits)) continue;
      const last = groups[i + shape.length - 1]!;
      out.push({ start: offset + groups[i]!.start, end: offset + last.start + last.digits.length, kind: 'cards' });
      i += shape.length - 1;
      break;
    }
  }
}

// the common lengths first: a number after a 16-digit card is more likely a count than its tail
const CARD_SHAPES: readonly (readonly number[])[] = [
  [4, 4, 4, 4], [4, 6, 5], [4, 6, 4], [4, 4, 4, 4, 3], [4, 4, 4, 3], [4, 4, 4, 2], [4, 4, 4, 1], [4, 4, 5],
];
