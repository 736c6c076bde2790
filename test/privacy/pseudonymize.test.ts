/** lib/privacy/pseudonymize.ts: stable keyed pseudonyms; names in text as whole words. */
import t from 'tap';
import { createPseudonymizer, pseudonymOf } from '../../lib/privacy/pseudonymize.js';

const names = ['Ada Lovelace', 'Charles Babbage', 'Charles Dickens', 'Zoë Ångström', 'Søren', '王伟', 'Mary-Jane O\'Neil (Dr.)'];
const p = createPseudonymizer({ salt: 'pepper', names });
const ada = pseudonymOf('pepper', 'Ada Lovelace');

t.test('pseudonyms: "Person " and 8 hex digits of HMAC-SHA256(salt, NFC name), stable, keyed', async (t) => {
  t.equal(ada, 'Person 29265777', 'the same in every run (pinned)');
  t.match(pseudonymOf('pepper', 'anyone'), /^Person [0-9a-f]{8}$/);
  t.equal(pseudonymOf('pepper', 'Ada Lovelace'), ada, 'same name, same salt');
  t.not(pseudonymOf('salt', 'Ada Lovelace'), ada, 'another salt');
  t.not(pseudonymOf('pepper', 'Ada Byron'), ada, 'another name');
  t.equal(pseudonymOf('pepper', 'Zoe\u0308'), pseudonymOf('pepper', 'Zo\u00eb'), 'NFD and NFC are one name');
  t.equal(p.sender('Ada Lovelace'), ada, 'a sender');
  t.equal(p.sender('Someone Who Left'), pseudonymOf('pepper', 'Someone Who Left'), 'a sender who is not a participant');
  t.equal(createPseudonymizer({ salt: 'pepper', names: ['x'] }).sender('Ada Lovelace'), ada, 'the same across threads');
});

t.test('text: full names and unambiguous first names, any case, whole words only', async (t) => {
  const babbage = pseudonymOf('pepper', 'Charles Babbage');
  const zoe = pseudonymOf('pepper', 'Zoë Ångström');
  t.equal(p.text('Ada Lovelace said hi'), `${ada} said hi`);
  t.equal(p.text('thanks ada! ADA?'), `thanks ${ada}! ${ada}?`, 'a first name only she has, any case');
  t.equal(p.text("Ada's idea"), `${ada}'s idea`, 'a possessive');
  t.equal(p.text('Adam and Adalbert, Canada'), 'Adam and Adalbert, Canada', 'not inside a longer word');
  t.equal(p.text('Charles Babbage and Charles'), `${babbage} and Charles`, 'two Charleses: the first name alone is ambiguous');
  t.equal(p.text('ask zoë ångström or Zoë'), `ask ${zoe} or ${zoe}`, 'Unicode case folding');
  t.equal(p.text('Ada\u00a0Lovelace'), ada, 'any space between the words');
  t.equal(p.text('søren, SØREN'), `${pseudonymOf('pepper', 'Søren')}, ${pseudonymOf('pepper', 'Søren')}`);
  t.equal(p.text('王伟你好'), `${pseudonymOf('pepper', '王伟')}你好`, 'a Han name has no word boundary to wait for');
  t.equal(p.text("ask Mary-Jane O'Neil (Dr.)"), `ask ${pseudonymOf('pepper', "Mary-Jane O'Neil (Dr.)")}`, 'regex characters in a name');
  t.equal(p.text('ask Mary-Jane'), `ask ${pseudonymOf('pepper', "Mary-Jane O'Neil (Dr.)")}`, 'a hyphenated first name');
  const plain = 'nothing to see here';
  t.equal(p.text(plain), plain);
});

t.test('text: the longest name wins', async (t) => {
  const q = createPseudonymizer({ salt: 's', names: ['Ada', 'Ada Lovelace'] });
  t.equal(q.text('Ada Lovelace and Ada'), `${pseudonymOf('s', 'Ada Lovelace')} and ${pseudonymOf('s', 'Ada')}`, 'a first name that is someone\'s full name is theirs');
});

t.test('keep: names left as they are, which still make a first name ambiguous', async (t) => {
  const q = createPseudonymizer({ salt: 's', names: ['Ada Lovelace', 'Ada Byron', 'Charles Babbage'], keep: ['Ada Lovelace'] });
  t.equal(q.sender('Ada Lovelace'), 'Ada Lovelace');
  t.equal(q.sender('Ada Byron'), pseudonymOf('s', 'Ada Byron'));
  t.equal(q.text('Ada Lovelace, Ada Byron, Ada, Charles'), `Ada Lovelace, ${pseudonymOf('s', 'Ada Byron')}, Ada, ${pseudonymOf('s', 'Charles Babbage')}`);
  t.equal(createPseudonymizer({ salt: 's', names: [] }).text('Ada'), 'Ada', 'no names, nothing replaced');
});

t.test('options', async (t) => {
  t.throws(() => createPseudonymizer({ salt: '', names: [] }), { code: 'FBS_INVALID_OPTION', message: /salt/ });
  t.throws(() => createPseudonymizer({ salt: undefined as never, names: [] }), { code: 'FBS_INVALID_OPTION', message: /salt/ });
  t.throws(() => createPseudonymizer({ salt: 's', names: 'Ada' as never }), { code: 'FBS_INVALID_OPTION', message: /names/ });
  t.throws(() => createPseudonymizer({ salt: 's', names: [], keep: [1] as never }), { code: 'FBS_INVALID_OPTION', message: /keep/ });
});
