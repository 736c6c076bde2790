/** lib/formats/raw.ts: reading assembled JSON values of unknown shape without trusting them. */
import t from 'tap';
import { isRaw, str, uris } from '../../lib/formats/raw.js';

t.test('isRaw: a plain object, not an array, null or a scalar', async (t) => {
  t.ok(isRaw({}));
  t.ok(isRaw(Object.create(null)));
  for (const v of [null, [], 'x', 1, true, undefined]) t.notOk(isRaw(v), JSON.stringify(v) ?? 'undefined');
});

t.test('str: strings only, the empty one included', async (t) => {
  t.equal(str(''), '');
  t.equal(str('🎉'), '🎉');
  for (const v of [null, 1, {}, ['x'], undefined]) t.equal(str(v), undefined);
});

t.test('uris: the uri of each {uri} in an array; anything else gives nothing', async (t) => {
  t.same(uris([{ uri: 'a' }, { uri: 1 }, null, 'b', [{ uri: 'c' }], { uri: '' }, { uri: 'd', extra: true }]), ['a', '', 'd']);
  for (const v of [undefined, null, { uri: 'a' }, 'a']) t.same(uris(v), []);
});
