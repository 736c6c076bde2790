import assert from 'node:assert/strict';
import fc from 'fast-check';
import t from 'tap';
import { classifyNotice } from '../../lib/formats/notices.js';

t.test('system and reaction notices are recognised, ordinary text is not', async (t) => {
  const notices: [string, 'notice' | 'reaction'][] = [
    ['Reacted 😂 to your message ', 'reaction'],
    ['Liked a message', 'reaction'],
    ['Zoë reacted ❤ to your message ', 'reaction'],
    ['Ada Lovelace sent an attachment.', 'notice'],
    ['Bob sent a link.', 'notice'],
    ['Mary added Zoë Brontë to the group.', 'notice'],
    ['Bob left the group.', 'notice'],
    ['Ada named the group Engines.', 'notice'],
    ['Ada changed the theme to Love.', 'notice'],
    ['Ada set the nickname for Bob to Bobby.', 'notice'],
    ['You called Charles.', 'notice'],
    ['You missed a call from Charles.', 'notice'],
    ['Charles started a video call.', 'notice'],
    ['The video chat ended.', 'notice'],
    ['Ada pinned a message.', 'notice'],
    ['Ada unsent a message.', 'notice'],
  ];
  for (const [text, kind] of notices) t.equal(classifyNotice(text), kind, text);
  for (const text of ['hello', 'I will call you later', 'the group photo was nice', 'Did you get my attachment?', 'x'.repeat(1000)]) {
    t.equal(classifyNotice(text), null, text.slice(0, 40));
  }
});

t.test('the French twins of Instagram notices are notices too', async (t) => {
  t.equal(classifyNotice('A aimé un message'), 'reaction');
  t.equal(classifyNotice('Vous avez envoyé une pièce jointe.'), 'notice');
  t.equal(classifyNotice('Zoë a envoyé une pièce jointe.'), 'notice');
  for (const text of ['Tu as aimé mon message ?', 'la pièce jointe est où', 'aimé un message hier']) t.equal(classifyNotice(text), null, text);
});

t.test('property: the cheap scan lets through exactly what one regex of every word did', async (t) => {
  // the scan as one regex, words and endings together: the same texts must reach the patterns
  const oneRegex = /eacted|Liked a message|aim(?:é|Ã©) un message|jointe\.$| the group|nickname|call|attachment\.$|sent a link\.$| ended\.$|pinned a message|unsent a message|changed the /;
  const pieces = [
    'Bob', ' ', '.', 'x', 'é', 'aimÃ©', ' un message', 'A aimé un message', 'jointe.', 'Vous avez envoyé une pièce jointe.',
    'sent an attachment.', 'Bob sent a link.', 'The video chat ended.', ' ended', 'called', 'nickname', ' the group',
    'reacted 😂 to your message', 'Liked a message', 'pinned a message.', 'unsent a message', 'changed the theme',
  ];
  const text = fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 5 }).map((p) => p.join(''));
  t.doesNotThrow(() => fc.assert(fc.property(text, (s) => {
    if (!oneRegex.test(s)) assert.equal(classifyNotice(s), null);
  }), { numRuns: 3000 }));
  for (const s of ['Ada sent an attachment. ok', 'la pièce jointe. hier', 'Bob sent a link.\n', 'The chat ended. Bye']) {
    t.equal(classifyNotice(s), null, `an ending that does not end the text: ${JSON.stringify(s)}`);
  }
});
