/**
 * Pseudonyms for participants: `Person ` and the first 8 hex digits of HMAC-SHA256(salt, NFC name),
 * e.g. `Person 3f9a2c1b`. The same name and salt give the same pseudonym in every run and thread;
 * another salt gives others, and without the salt a pseudonym cannot be tried against a list of
 * names. 32 bits keep two names of one export apart: with 10,000 distinct names the chance that
 * any two share a pseudonym is about 1% (24 bits would make it near certain).
 *
 * In text, a participant's full name, and their first name when no other participant of the
 * thread has it, become their pseudonym: whole words only, any case, longest names first.
 */
import { createHmac } from 'node:crypto';
import { OptionError } from '../errors.js';

export interface PseudonymizerOptions {
  /** Secret that keys the pseudonyms; keep it to get the same pseudonyms in a later run. */
  salt: string;
  /** The thread's participants, whose names are replaced in text (senders are replaced in any case). */
  names: readonly string[];
  /** Names left as they are, in text and as senders (the owner, when the caller keeps them). */
  keep?: readonly string[];
}

export interface Pseudonymizer {
  /** The pseudonym of a sender (itself when kept). */
  sender(name: string): string;
  /** `text` with the participants' names replaced; the same string when none occurs. */
  text(text: string): string;
}

export const PSEUDONYM_PREFIX = 'Person ';

/** The pseudonym of one name under one salt, as every pseudonymizer gives it. */
export function pseudonymOf(salt: string, name: string): string {
  const hex = createHmac('sha256', salt).update(name.normalize('NFC'), 'utf8').digest('hex');
  return PSEUDONYM_PREFIX + hex.slice(0, 8);
}

export function createPseudonymizer(options: PseudonymizerOptions): Pseudonymizer {
  const { salt, names, keep = [] } = options ?? ({} as PseudonymizerOptions);
  if (typeof salt !== 'string' || salt === '') throw new OptionError('salt', 'must be a non-empty string (the secret that keys the pseudonyms)', salt);
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) throw new OptionError('names', 'must be a list of names', names);
  if (!Array.isArray(keep) || keep.some((n) => typeof n !== 'string')) throw new OptionError('keep', 'must be a list of names', keep);
  return new NamePseudonymizer(salt, names, keep);
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class NamePseudonymizer implements Pseudonymizer {
  readonly #salt: string;
  readonly #kept: ReadonlySet<string>;
  readonly #bySender = new Map<string, string>();
  /** One alternative per pattern, in the regex's order; a match is found by its group. */
  readonly #targets: string[] = [];
  readonly #pattern: RegExp | null;

  constructor(salt: string, names: readonly string[], keep: readonly string[]) {
    this.#salt = salt;
    this.#kept = new Set(keep.map((n) => n.normalize('NFC').trim()));
    const patterns = namePatterns(names.map((n) => n.normalize('NFC')), this.#kept);
    const alternatives: string[] = [];
    for (const p of patterns) {
      alternatives.push(`(${p.source})`);
      this.#targets.push(this.sender(p.name));
    }
    this.#pattern = alternatives.length ? new RegExp(alternatives.join('|'), 'giu') : null;
  }

  sender(name: string): string {
    let pseudonym = this.#bySender.get(name);
    if (pseudonym === undefined) {
      pseudonym = this.#kept.has(name.normalize('NFC').trim()) ? name : pseudonymOf(this.#salt, name);
      this.#bySender.set(name, pseudonym);
    }
    return pseudonym;
  }

  text(text: string): string {
    const pattern = this.#pattern;
    if (pattern === null) return text;
    pattern.lastIndex = 0;
    if (!pattern.test(text)) return text;
    return text.replace(pattern, (...groups: unknown[]) => {
      for (let i = 0; i < this.#targets.length; i++) if (groups[i + 1] !== undefined) return this.#targets[i]!;
      return groups[0] as string;
    });
  }
}

interface NamePattern {
  /** The participant (NFC) whose pseudonym replaces a match. */
  name: string;
  /** Regex source matching the name as a whole word. */
  source: string;
  length: number;
}

const WORD_CHAR = String.raw`[\p{L}\p{M}\p{N}_]`;
// scripts written without spaces between words: a name there has no word boundary to look for
const UNSPACED = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\u30FC\s]+$/u;

/**
 * Full names, then first names that only one participant has (and that are no one's full name),
 * longest first so that "Ada Lovelace" wins over "Ada". Kept names are not replaced, but still
 * count when deciding whether a first name is ambiguous.
 */
function namePatterns(names: readonly string[], kept: ReadonlySet<string>): NamePattern[] {
  const unique = [...new Set(names.map((n) => n.trim()).filter((n) => n !== ''))];
  const fold = (s: string) => s.toLowerCase();
  const fullNames = new Set(unique.map(fold));
  const firstCounts = new Map<string, number>();
  const firstOf = (n: string) => n.split(/\s+/u)[0]!;
  for (const n of unique) firstCounts.set(fold(firstOf(n)), (firstCounts.get(fold(firstOf(n))) ?? 0) + 1);
  const out: NamePattern[] = [];
  for (const name of unique) {
    if (kept.has(name)) continue;
    out.push(pattern(name, name));
    const first = firstOf(name);
    if (first === name || [...first].length < 2) continue;
    if (firstCounts.get(fold(first)) !== 1 || fullNames.has(fold(first))) continue;
    out.push(pattern(name, first));
  }
  return out.sort((a, b) => b.length - a.length);
}

function pattern(name: string, words: string): NamePattern {
  const body = words.split(/\s+/u).map(escapeRegex).join(String.raw`\s+`);
  const source = UNSPACED.test(words) ? body : `(?<!${WORD_CHAR})${body}(?!${WORD_CHAR})`;
  return { name, source, length: words.length };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\\/]/g, '\\$&');
}
