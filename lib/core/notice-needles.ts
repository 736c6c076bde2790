/**
 * Words one of which is in the text of every notice lib/formats/notices.ts recognises (each of its
 * `MAYBE` alternatives and `ENDINGS` holds one): a text without any of them is no notice, and is not decoded
 * (lib/core/message-counter.ts). They are ASCII letters, spaces and dots, so in a thread file's
 * bytes they appear as they are, unless an escape writes one of their characters (`\u0020` to
 * `\u007f`, which the scanner flags too). Keep them in step with `MAYBE` and `ENDINGS` there:
 * test/core/message-counter.test.ts checks that each of its alternatives holds one.
 */
export const NOTICE_NEEDLES: readonly string[] = [
  'eacted', 'Liked a message', 'aim', 'jointe.', ' the group', 'nickname', 'call', 'attachment.',
  'sent a link.', ' ended.', 'pinned a message', 'unsent a message', 'changed the ',
];
