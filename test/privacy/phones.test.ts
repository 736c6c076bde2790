/** lib/privacy/phones.ts against libphonenumber-js's own example numbers: every country, three ways of writing. */
import t from 'tap';
import examples from 'libphonenumber-js/mobile/examples';
import { getCountries, getExampleNumber } from 'libphonenumber-js';
import { createRedactor } from '../../lib/privacy/redact.js';

t.test("phones: every country's example mobile number, international, E.164 and dashed", async (t) => {
  const r = createRedactor({ kinds: ['phones'] });
  const misses: string[] = [];
  let n = 0;
  for (const country of getCountries()) {
    const example = getExampleNumber(country, examples);
    if (!example) continue;
    const international = example.formatInternational();
    for (const written of [international, example.number, international.replace(/ /g, '-')]) {
      n++;
      const got = r.redact(`call me on ${written} tonight`).text;
      if (got !== 'call me on [phone] tonight') misses.push(`${country} ${written} -> ${got}`);
    }
  }
  t.ok(n > 600, `${n} numbers`);
  t.same(misses, []);
});

t.test('phones: national formats need the country', async (t) => {
  const gb = createRedactor({ kinds: ['phones'], phoneCountry: 'GB' });
  const none = createRedactor({ kinds: ['phones'] });
  const example = getExampleNumber('GB', examples)!;
  const text = `ring ${example.formatNational()} later`;
  t.equal(gb.redact(text).text, 'ring [phone] later');
  t.equal(none.redact(text).text, text);
});
