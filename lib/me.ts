/**
 * Who `--me` is: one rule for the whole tool. Names compare after NFC normalisation, and a name
 * typed as the export's mojibake (`ZoÃ«`) stands for the repaired one (`Zoë`). The langchain preset
 * compares names as the file writes them, so there `me` stands for its own mojibake form too.
 */
import { meMatcher } from './core/role-mapper.js';
import { UnknownSenderError } from './errors.js';
import type { Preset } from './options.js';
import { closestName } from './text/closest.js';
import { repairMojibake, toMojibake } from './text/mojibake.js';

/** The names `me` stands for. */
export function meNames(me: string, preset: Preset): string[] {
  const names = preset === 'langchain' ? [me, toMojibake(me)] : [me, repairMojibake(me)];
  return [...new Set(names)];
}

/** Whether a sender or participant is `me`. */
export function isMeFor(me: string, preset: Preset): (name: string) => boolean {
  return meMatcher(meNames(me, preset), preset !== 'langchain');
}

/** Throws {@link UnknownSenderError} (the people found, the closest name) unless `me` is one of `people`. */
export function checkMe(me: string, people: readonly string[], preset: Preset): void {
  const isMe = isMeFor(me, preset);
  if (people.some(isMe)) return;
  const sorted = [...new Set(people)].sort();
  throw new UnknownSenderError(me, sorted, closestName(me, sorted));
}

/**
 * A near miss: `me` is nobody in `people` but close to someone. Said before converting, from the
 * threads' headers; a name with no near match is left to the check after the run, which also knows
 * the senders (someone who left a group chat is no longer listed as a participant).
 */
export function checkMeEarly(me: string, people: readonly string[], preset: Preset): void {
  const isMe = isMeFor(me, preset);
  if (people.some(isMe)) return;
  const sorted = [...new Set(people)].sort();
  const suggestion = closestName(me, sorted);
  if (suggestion !== undefined) throw new UnknownSenderError(me, sorted, suggestion);
}
