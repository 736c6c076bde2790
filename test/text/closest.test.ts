/** lib/text/closest.ts: the name to suggest when `--me` matches nobody. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import t from 'tap';
import { closestName } from '../../lib/text/closest.js';

const PEOPLE = ['Ada Lovelace', 'Zoë Martin', 'Charles Babbage'];

t.test('a whole word of a name, in any case', async (t) => {
  t.equal(closestName('Ada', PEOPLE), 'Ada Lovelace');
  t.equal(closestName('babbage', PEOPLE), 'Charles Babbage');
  t.equal(closestName('ZOË', PEOPLE), 'Zoë Martin');
});

t.test('a typo: the nearest name within max(2, a third of what was typed) edits', async (t) => {
  t.equal(closestName('Ada Lovelce', PEOPLE), 'Ada Lovelace', 'one letter left out');
  t.equal(closestName('zoe martin', PEOPLE), 'Zoë Martin', 'an accent left out');
  t.equal(closestName('Charls Babage', PEOPLE), 'Charles Babbage');
  t.equal(closestName('Ax', ['Bo']), 'Bo', 'two edits are always close enough');
  t.equal(closestName('Axz', ['Boq']), undefined, 'three are not, for a short name');
  t.equal(closestName('abcdefghi', ['abcdefXYZ']), 'abcdefXYZ', 'nine chars typed: three edits');
  t.equal(closestName('abcdefghi', ['abcdeWXYZ']), undefined, 'four are too many');
});

t.test('nobody close: no suggestion', async (t) => {
  t.equal(closestName('Grace Hopper', PEOPLE), undefined);
  t.equal(closestName('Ada', []), undefined, 'no names');
  t.equal(closestName('', PEOPLE), undefined, 'nothing typed');
});

t.test('an exact name in another case is preferred to a longer name holding it as a word', async (t) => {
  t.equal(closestName('ADA', ['Ada Lovelace', 'ada']), 'ada');
  t.equal(closestName('ada lovelace', ['Ada', 'Ada Lovelace']), 'Ada Lovelace');
});

t.test('ties go to the first name in the list (the suggestion is stable)', async (t) => {
  t.equal(closestName('bob', ['Bab', 'Bob?']), 'Bab');
  t.equal(closestName('bob', ['Bob?', 'Bab']), 'Bob?');
});

t.test('emoji in names count as characters like any other', async (t) => {
  t.equal(closestName('Zoe 🎉', ['Zoë 🎉', 'Ada']), 'Zoë 🎉');
  t.equal(closestName('🎉', ['🎉 party', 'Ada']), '🎉 party', 'a word of the name');
});

t.test('NFC: a name typed decomposed (or listed decomposed) is the same name', async (t) => {
  const nfd = 'Zoe\u0308';
  t.equal(closestName(nfd, PEOPLE), 'Zoë Martin', 'typed NFD, listed NFC: a whole word');
  t.equal(closestName('Zoë', ['Zoe\u0308 Martin']), 'Zoe\u0308 Martin', 'typed NFC, listed NFD: the name as listed');
  t.equal(closestName(`${nfd} Martn`, PEOPLE), 'Zoë Martin', 'a typo as well');
});

t.test('property: a suggestion is one of the names; a name typed in another case or form is found', async (t) => {
  const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(name, { maxLength: 6 }), name, fc.nat(), (names, typed, pick) => {
    const got = closestName(typed, names);
    assert.ok(got === undefined || names.includes(got));
    if (names.length === 0) return;
    const target = names[pick % names.length]!;
    // toLowerCase, not toUpperCase: "ß" upper-cased is "SS", another name
    const variant = (pick % 2 === 0 ? target.toLowerCase() : target).normalize('NFD');
    const found = closestName(variant, names);
    assert.ok(found !== undefined, `${JSON.stringify(variant)} in ${JSON.stringify(names)}`);
  }), { numRuns: 500 }));
});
