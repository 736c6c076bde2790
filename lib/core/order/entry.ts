/** What the order stage's runs hold: a message and its arrival number (a leaf: every order file imports it). */
import type { Message } from '../../types.js';

export interface Entry {
  msg: Message;
  seq: number;
}

/**
 * `entries` sorted in place by timestamp, equal timestamps by arrival (`tieSign` 1) or against it
 * (-1: a thread that arrived newest-first); returned.
 */
export function sortEntries(entries: Entry[], tieSign: number): Entry[] {
  return entries.sort((a, b) => a.msg.timestampMs - b.msg.timestampMs || (a.seq - b.seq) * tieSign);
}
