/**
 * Redaction: emails, phone numbers, URLs and payment card numbers in a text become `[email]`,
 * `[phone]`, `[url]`, `[card]`. One regex made of the detectors' gates (an `@`, a dot before a
 * letter, a `+` before a digit, a long run of digits) says whether any detector could find
 * anything; the common chat message has none and is returned as it came, the same string.
 */
import { OptionError } from '../errors.js';
import { CARD_GATE, findCards } from './luhn.js';
import { EMAIL_GATE, findEmails } from './emails.js';
import { checkCountry, findPhones, INTERNATIONAL_PHONE_GATE, NATIONAL_PHONE_GATE } from './phones.js';
import { findUrls, URL_GATE } from './urls.js';
import { PII_KINDS, resolveOverlaps, type PiiKind, type PiiSpan } from './spans.js';

export { PII_KINDS, type PiiKind } from './spans.js';

export interface RedactorOptions {
  /** What to replace; each kind at most once. */
  kinds: readonly PiiKind[];
  /**
   * ISO country (`US`, `GB`, …) whose national phone formats (`(415) 555-2671`) are found too.
   * Default none: only international numbers (`+1 415 555 2671`), which a date or an order number
   * cannot look like.
   */
  phoneCountry?: string;
}

export type RedactionCounts = Readonly<Record<PiiKind, number>>;

export interface Redaction {
  text: string;
  /** Replacements made, by kind. */
  counts: RedactionCounts;
}

export interface Redactor {
  redact(text: string): Redaction;
}

export const REPLACEMENTS: Readonly<Record<PiiKind, string>> = {
  emails: '[email]',
  phones: '[phone]',
  urls: '[url]',
  cards: '[card]',
};

const NO_COUNTS: RedactionCounts = Object.freeze({ emails: 0, phones: 0, urls: 0, cards: 0 });

export function createRedactor(options: RedactorOptions): Redactor {
  const kinds = options?.kinds;
  if (!Array.isArray(kinds)) throw new OptionError('redact', `must be a list of ${PII_KINDS.join(', ')}`, kinds);
  for (const k of kinds) {
    if (!PII_KINDS.includes(k)) throw new OptionError('redact', `each must be one of ${PII_KINDS.join(', ')}`, k);
  }
  return new TextRedactor(new Set(kinds), checkCountry(options.phoneCountry));
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class TextRedactor implements Redactor {
  readonly #emails: boolean;
  readonly #phones: boolean;
  readonly #urls: boolean;
  readonly #cards: boolean;
  readonly #country: ReturnType<typeof checkCountry>;
  readonly #gate: RegExp;

  constructor(kinds: ReadonlySet<PiiKind>, country: ReturnType<typeof checkCountry>) {
    this.#emails = kinds.has('emails');
    this.#phones = kinds.has('phones');
    this.#urls = kinds.has('urls');
    this.#cards = kinds.has('cards');
    this.#country = country;
    const gates: string[] = [];
    if (this.#emails) gates.push(EMAIL_GATE);
    if (this.#urls) gates.push(URL_GATE);
    if (this.#phones) gates.push(INTERNATIONAL_PHONE_GATE, ...(country ? [NATIONAL_PHONE_GATE] : []));
    if (this.#cards) gates.push(CARD_GATE);
    // no kind: a gate that never matches
    this.#gate = new RegExp(gates.length ? gates.join('|') : '(?!)', 'iu');
  }

  redact(text: string): Redaction {
    if (!this.#gate.test(text)) return { text, counts: NO_COUNTS };
    let result = this.#once(text);
    // a replacement can free a neighbour: "ada@example.com+44 20 7946 0958" has no phone until the
    // email is gone (a letter before `+` is no number's start); a few passes reach the fixed point
    for (let pass = 1; pass < MAX_PASSES && result.text !== text && this.#gate.test(result.text); pass++) {
      const next = this.#once(result.text);
      if (next.text === result.text) break;
      text = result.text;
      result = { text: next.text, counts: addCounts(result.counts, next.counts) };
    }
    return result;
  }

  #once(text: string): Redaction {
    const spans: PiiSpan[] = [];
    if (this.#emails) findEmails(text, spans);
    if (this.#urls) findUrls(text, spans, spans.slice());
    if (this.#phones) findPhones(text, this.#country, spans);
    if (this.#cards) findCards(text, spans);
    if (spans.length === 0) return { text, counts: NO_COUNTS };
    return replaceSpans(text, resolveOverlaps(spans));
  }
}

const MAX_PASSES = 4;

function addCounts(a: RedactionCounts, b: RedactionCounts): RedactionCounts {
  return { emails: a.emails + b.emails, phones: a.phones + b.phones, urls: a.urls + b.urls, cards: a.cards + b.cards };
}

function replaceSpans(text: string, spans: readonly PiiSpan[]): Redaction {
  const counts = { emails: 0, phones: 0, urls: 0, cards: 0 };
  let out = '';
  let from = 0;
  for (const s of spans) {
    out += text.slice(from, s.start) + REPLACEMENTS[s.kind];
    counts[s.kind]++;
    from = s.end;
  }
  return { text: out + text.slice(from), counts };
}
