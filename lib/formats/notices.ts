/**
 * System notices and reaction notices that Meta writes as ordinary `content`, in the account's
 * language (docs/formats.md#classic-export). English, and the French forms of the notices Instagram
 * writes twice, once per language (docs/formats.md#instagram: "Liked a message" / "A aimé un
 * message", "… sent an attachment." / "… envoyé une pièce jointe."; unverified beyond these); other
 * languages pass as text.
 *
 * Every message's text is checked, so the patterns avoid a leading `^.{1,N}` (V8 would retry it at
 * every length): a notice is recognised by its fixed words and, where it has one, its fixed end.
 *
 * Kinds are decided on the text as the file holds it, before the decoder repairs mojibake: the
 * French words arrive as `aimÃ©`. The prefilter accepts both spellings, and a candidate is repaired
 * (the same safe repair, docs/formats.md#mojibake) before the patterns, which are written in real
 * text.
 */
import { repairMojibake } from '../text/mojibake.js';

const REACTION = /^Reacted .{1,16} to your message ?$|^Liked a message$|. reacted .{1,16} to your message ?$|^A aimé un message$/s;
const NOTICE = new RegExp(
  [
    '^[^\\n]{1,80} sent (?:an attachment|a link)\\.$',
    '^[^\\n]{1,80} (?:a|avez) envoyé une pièce jointe\\.$',
    ' (?:added|removed) .{1,400} (?:to|from) the group\\.$',
    '. left the group\\.$',
    '. (?:named|renamed) the group ',
    '. changed the (?:theme|group photo|chat theme|emoji|quick reaction)',
    '. set (?:the|your|his|her|their|its) (?:own )?nickname',
    '. cleared (?:the|your|his|her|their) nickname',
    '^You (?:called|missed a call from) ',
    '. (?:called you|missed your call)\\.?$',
    '. started (?:a|an) (?:video |audio )?call\\.?$',
    '^The (?:video )?(?:chat|call) ended\\.$',
    '. joined the (?:video |audio )?call\\.$',
    '. pinned a message\\.$',
    '. created the group\\.$',
    '. unsent a message\\.?$',
  ].join('|'),
  's',
);

export type NoticeKind = 'reaction' | 'notice' | null;

/**
 * Every notice above holds one of these words, or ends with one of {@link ENDINGS}: a cheap scan
 * first for ordinary text. The endings are tested apart: with `…$` alternatives in it, the regex
 * scan costs half as much again per text.
 */
const MAYBE = /eacted|Liked a message|aim(?:é|Ã©) un message| the group|nickname|call|pinned a message|unsent a message|changed the /;
const ENDINGS = ['jointe.', 'attachment.', 'sent a link.', ' ended.'];

/** Whether `text` holds one of the words of a notice, or ends with one of the words that end one. */
function mayBeNotice(text: string): boolean {
  if (text.charCodeAt(text.length - 1) === 0x2e /* . */) {
    for (const end of ENDINGS) if (text.endsWith(end)) return true;
  }
  return MAYBE.test(text);
}

const LATIN1 = /[\u0080-\u00ff]/;

export function classifyNotice(text: string): NoticeKind {
  if (text.length > 600 || !mayBeNotice(text)) return null;
  if (LATIN1.test(text)) text = repairMojibake(text);
  if (REACTION.test(text)) return 'reaction';
  if (NOTICE.test(text)) return 'notice';
  return null;
}
