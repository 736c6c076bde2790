import t from 'tap';
import fc from 'fast-check';
import { asciiName, threadNames } from '../../lib/text/ascii-name.js';

const VALID = /^[a-zA-Z0-9_-]{1,64}$/;

t.test('names in any script become readable ASCII', async (t) => {
  t.equal(asciiName('王伟'), 'Wang_Wei');
  t.equal(asciiName('Søren Kierkegaard'), 'Soren_Kierkegaard');
  t.equal(asciiName('Zoë Ångström'), 'Zoe_Angstrom');
  t.equal(asciiName('Zoe\u0308'), 'Zoe', 'decomposed as composed');
  t.equal(asciiName('Владимир'), 'Vladimir');
  t.equal(asciiName('Ada Lovelace'), 'Ada_Lovelace');
  t.equal(asciiName('😀'), undefined, 'nothing left');
  t.equal(asciiName('x'.repeat(100))?.length, 64);
});

t.test('a thread: unique, stable, with a fallback by place', async (t) => {
  const names = threadNames(['😀', 'Ada Lovelace', 'Ada-Lovelace', 'Søren', 'Soren', '🎉'], ['Wang Wei', '王伟']);
  t.same([...names.values()], ['participant_1', 'Ada_Lovelace', 'Ada-Lovelace', 'Soren', 'Soren_2', 'participant_6', 'Wang_Wei', 'Wang_Wei_2']);
  t.same(threadNames(['Søren', 'Soren']), threadNames(['Søren', 'Soren']), 'the same every time');
});

t.test('property: every name valid and unique (case-insensitively) within its thread', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 80 }), { maxLength: 20 }), (people) => {
    const names = [...threadNames(people).values()];
    if (!names.every((n) => VALID.test(n))) throw new Error(`invalid: ${JSON.stringify(names)}`);
    if (new Set(names.map((n) => n.toLowerCase())).size !== names.length) throw new Error(`not unique: ${JSON.stringify(names)}`);
  }), { numRuns: 300 }));
});
