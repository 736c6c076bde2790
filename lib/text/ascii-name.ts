/**
 * Names for OpenAI's `name` field, which must match ^[a-zA-Z0-9_-]{1,64}$: each participant's name
 * transliterated to ASCII (王伟 → Wang_Wei, Søren → Soren), unique within its thread, and
 * `participant_N` (N: the place in the thread's participant list, from 1) for a name with nothing
 * left once transliterated (an emoji, say). Stable: the same thread gives the same names.
 */
import { createRequire } from 'node:module';

const MAX = 64;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** transliteration's tables cost ~14 MB of memory: loaded (in each worker) only for a name that needs them. */
let transliterate: ((text: string) => string) | undefined;

/** One name's ASCII form, or undefined when nothing is left. */
export function asciiName(name: string): string | undefined {
  const nfc = name.normalize('NFC');
  transliterate ??= PRINTABLE_ASCII.test(nfc) ? undefined : (createRequire(import.meta.url)('transliteration') as { transliterate(text: string): string }).transliterate;
  const ascii = PRINTABLE_ASCII.test(nfc) ? nfc : transliterate!(nfc);
  const s = ascii.replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/^[_-]+|[_-]+$/g, '').slice(0, MAX);
  return s || undefined;
}

/**
 * The names of a thread's people: participants first (their order gives the fallback numbers),
 * then senders no longer listed (someone who left a group chat). Two people whose forms collide
 * get `_2`, `_3` … in that order.
 */
export function threadNames(participants: readonly string[], senders: Iterable<string> = []): Map<string, string> {
  const people = [...new Set([...participants, ...senders])];
  const names = new Map<string, string>();
  const taken = new Set<string>();
  people.forEach((person, i) => {
    const base = asciiName(person) ?? `participant_${i + 1}`;
    let name = base;
    for (let n = 2; taken.has(name.toLowerCase()); ++n) name = `${base.slice(0, MAX - String(n).length - 1)}_${n}`;
    taken.add(name.toLowerCase());
    names.set(person, name);
  });
  return names;
}
