/**
 * Phone numbers in text, found by libphonenumber-js (a port of Google's PhoneNumberMatcher) with its
 * default `min` metadata: a number is taken when its length is possible for its country, which
 * favours recall over the exact digit plans of `max`. Without a default country only international
 * numbers (`+CC …`) are found; with one, that country's national formats too.
 *
 * Old messages hold numbers of retired plans (Mexico's `+52 1`, Colombia's 7-digit lines) and
 * reserved fictional ranges the library calls invalid; an international number written with `+`
 * and 8 to 15 digits in the usual groupings is taken too, where the library found nothing.
 */
import { createRequire } from 'node:module';
import type { CountryCode } from 'libphonenumber-js';
import { OptionError } from '../errors.js';
import type { PiiSpan } from './spans.js';

/**
 * Quick gates. The library costs ~7 µs for any text and ~20 µs a number (it compiles regexes per
 * call), so it reads only what may be a number: without a country, the stretch after each `+`.
 */
export const NATIONAL_PHONE_GATE = String.raw`\d(?:[\s().\-\/]{0,3}\d){5}`;
export const INTERNATIONAL_PHONE_GATE = String.raw`[+\uFF0B][\s(]{0,2}\d`;
const MAY_HOLD_NATIONAL_PHONE = new RegExp(NATIONAL_PHONE_GATE, 'u');
const MAY_HOLD_INTERNATIONAL_PHONE = new RegExp(INTERNATIONAL_PHONE_GATE, 'u');
// a `+` and what may follow it in a number, with the bracket before it
const PLUS_STRETCH = /\(?[+\uFF0B][\d\s().\-\/]{6,40}/g;

/** libphonenumber-js and its metadata (~9 MB) loaded on first use: most runs redact no phones. */
let phonelib: typeof import('libphonenumber-js') | undefined;
const lib = () => (phonelib ??= createRequire(import.meta.url)('libphonenumber-js') as typeof import('libphonenumber-js'));
let countries: ReadonlySet<string> | undefined;
const COUNTRIES = { has: (c: string) => (countries ??= new Set(lib().getCountries())).has(c) };

export function checkCountry(country: string | undefined): CountryCode | undefined {
  if (country === undefined) return undefined;
  if (!COUNTRIES.has(country)) {
    throw new OptionError('phoneCountry', 'must be an ISO 3166-1 alpha-2 code that has phone numbers (US, GB, DE, …)', country);
  }
  return country as CountryCode;
}

// `+`, then digit groups split by one space, dash or dot, an area code may sit in brackets
const PLUS_NUMBER = /(?<![\p{L}\p{N}_+])\+\d{1,4}(?:[ \-.]?(?:\(\d{1,5}\)|\d{1,6}))+(?![\p{L}\p{N}_]|[.,\-]\d)/gu;

export function mayHoldPhone(text: string, country: CountryCode | undefined): boolean {
  return country ? MAY_HOLD_NATIONAL_PHONE.test(text) : MAY_HOLD_INTERNATIONAL_PHONE.test(text);
}

export function findPhones(text: string, country: CountryCode | undefined, out: PiiSpan[]): void {
  if (!mayHoldPhone(text, country)) return;
  const found: PiiSpan[] = [];
  if (country) {
    for (const f of lib().findPhoneNumbersInText(text, country)) found.push(balanced(text, f.startsAt, f.endsAt));
  } else {
    findInternational(text, found);
  }
  if (MAY_HOLD_INTERNATIONAL_PHONE.test(text)) findPlusNumbers(text, found);
  for (const s of found) out.push(s);
}

/** The library over each `+` stretch, one character of context on either side (it looks at them). */
function findInternational(text: string, found: PiiSpan[]): void {
  PLUS_STRETCH.lastIndex = 0;
  for (let m = PLUS_STRETCH.exec(text); m; m = PLUS_STRETCH.exec(text)) {
    const from = Math.max(0, m.index - 1);
    const to = Math.min(text.length, m.index + m[0].length + 1);
    for (const f of lib().findPhoneNumbersInText(text.slice(from, to))) found.push(balanced(text, from + f.startsAt, from + f.endsAt));
  }
}

/** The library's span may take the opening bracket of "(+32 470 12 34 56)" but not its closing one. */
function balanced(text: string, start: number, end: number): PiiSpan {
  let open = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x28) open++;
    else if (c === 0x29) open--;
  }
  if (open > 0 && text.charCodeAt(start) === 0x28) start++;
  else if (open < 0 && text.charCodeAt(end - 1) === 0x29) end--;
  return { start, end, kind: 'phones' };
}

function findPlusNumbers(text: string, found: PiiSpan[]): void {
  const known = found.length;
  PLUS_NUMBER.lastIndex = 0;
  for (let m = PLUS_NUMBER.exec(text); m; m = PLUS_NUMBER.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    let digits = 0;
    for (let i = start; i < end; i++) if (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) digits++;
    if (digits < 8 || digits > 15) continue;
    let overlaps = false;
    for (let k = 0; k < known; k++) if (found[k]!.start < end && start < found[k]!.end) overlaps = true;
    if (!overlaps) found.push({ start, end, kind: 'phones' });
  }
}
