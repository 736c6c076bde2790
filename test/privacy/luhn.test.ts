/** lib/privacy/luhn.ts: the Luhn and EAN-13 checks and what is taken for a card number, alone and in text. */
import t from 'tap';
import fc from 'fast-check';
import { ean13Valid, isCardNumber, luhnValid } from '../../lib/privacy/luhn.js';
import { createRedactor } from '../../lib/privacy/redact.js';

t.test('luhnValid: published test numbers pass, one changed digit fails', async (t) => {
  for (const n of ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '30569309025904', '79927398713']) {
    t.ok(luhnValid(n), n);
    const last = Number(n.at(-1));
    t.notOk(luhnValid(n.slice(0, -1) + String((last + 1) % 10)), `${n} with another check digit`);
  }
  t.notOk(luhnValid('79927398710'));
});

t.test('ean13Valid: barcodes and ISBN-13', async (t) => {
  t.ok(ean13Valid('4006381333931'));
  t.ok(ean13Valid('9783161484100'), 'ISBN 978-3-16-148410-0');
  t.notOk(ean13Valid('4006381333932'));
  t.notOk(ean13Valid('400638133393'), 'twelve digits');
});

t.test('isCardNumber: 13 to 19 digits, Luhn, not one repeated digit, not an EAN-13', async (t) => {
  t.ok(isCardNumber('4222222222222'), 'the 13-digit Visa test number');
  t.ok(isCardNumber('6205500000000000004'), '19 digits');
  t.notOk(isCardNumber('424242424242'), '12 digits');
  t.notOk(isCardNumber('42424242424242424242'), '20 digits');
  t.notOk(isCardNumber('0000000000000000'), 'passes Luhn, but no card');
  t.notOk(isCardNumber('4006381333931'), 'passes Luhn, and is a barcode');
  t.notOk(isCardNumber('4111111111111112'));
});

t.test('cards in text: any Luhn-valid 16 digits in 4-4-4-4 found; one digit off, left (property)', async (t) => {
  const r = createRedactor({ kinds: ['cards'] });
  const withCheckDigit = (body: string) => {
    for (let d = 0; d < 10; d++) if (luhnValid(body + d)) return body + d;
    throw new Error('unreachable');
  };
  const body = fc.stringMatching(/^[2-6]\d{14}$/);
  const sep = fc.constantFrom(' ', '-', '');
  fc.assert(fc.property(body, sep, (b, s) => {
    const card = withCheckDigit(b);
    if (/^(\d)\1*$/.test(card)) return true;
    const written = card.match(/\d{4}/g)!.join(s);
    const wrong = card.slice(0, -1) + String((Number(card.at(-1)) + 1) % 10);
    return r.redact(`pay with ${written} today`).text === 'pay with [card] today'
      && r.redact(`ref ${wrong.match(/\d{4}/g)!.join(s)} today`).text === `ref ${wrong.match(/\d{4}/g)!.join(s)} today`;
  }), { numRuns: 1000, seed: 16 });
  t.pass('1,000 numbers');
});
