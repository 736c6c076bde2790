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
