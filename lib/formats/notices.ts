/**
 * System notices and reaction notices that Meta writes as ordinary `content`, in the account's
 * language (FORMATS.md §1). English only for now: other languages pass as text.
 */
const REACTION = /^(?:Reacted .{1,16} to your message ?|Liked a message|.{1,200} reacted .{1,16} to your message ?)$/s;
const NOTICE = new RegExp(
  [
    '^[^\\n]{1,80} sent an attachment\\.$',
    '^.{1,200} (?:added|removed) .{1,400} (?:to|from) the group\\.$',
    '^.{1,200} left the group\\.$',
    '^.{1,200} (?:named|renamed) the group ',
    '^.{1,200} changed the (?:theme|group photo|chat theme|emoji|quick reaction)',
    '^.{1,200} set (?:the|your|his|her|their|its) (?:own )?nickname',
    '^.{1,200} cleared (?:the|your|his|her|their) nickname',
    '^You (?:called|missed a call from) ',
    '^.{1,200} (?:called you|missed your call)\\.?$',
    '^.{1,200} started (?:a|an) (?:video |audio )?call\\.?$',
    '^The (?:video )?(?:chat|call) ended\\.$',
    '^.{1,200} joined the (?:video |audio )?call\\.$',
    '^.{1,200} pinned a message\\.$',
    '^.{1,200} created the group\\.$',
    '^.{1,200} unsent a message\\.?$',
  ].join('|'),
  's',
);

export type NoticeKind = 'reaction' | 'notice' | null;

/**
 * Every notice above holds one of these words: a cheap scan first, so that ordinary text (nearly
 * all of it) never meets the anchored alternatives, which backtrack over `.{1,200}`.
 */
const MAYBE = /eacted|Liked a message| the group|nickname|call|attachment\.$| ended\.$|pinned a message|unsent a message|changed the /;

export function classifyNotice(text: string): NoticeKind {
  if (text.length > 600 || !MAYBE.test(text)) return null;
  if (REACTION.test(text)) return 'reaction';
  if (NOTICE.test(text)) return 'notice';
  return null;
}
