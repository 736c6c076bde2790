/** What the order stage's runs hold: a message and its arrival number (a leaf: every order file imports it). */
import type { Message } from '../../types.js';

export interface Entry {
  msg: Message;
  seq: number;
}
