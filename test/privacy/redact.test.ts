/** lib/privacy/redact.ts and its detectors: each kind, overlaps, options, the fast path, idempotence. */
import t from 'tap';
import fc from 'fast-check';
import { createRedactor, PII_KINDS, type PiiKind } from '../../lib/privacy/redact.js';
import { findHttpUrls } from '../../lib/privacy/urls.js';
import { LinkifyIt } from 'linkify-it';
import { CARDS, EMAILS, PHONES, URLS } from '../fixtures/privacy/pii-values.js';
import { NEAR_MISSES } from '../fixtures/privacy/near-misses.js';

const only = (kind: PiiKind) => createRedactor({ kinds: [kind] });
const all = createRedactor({ kinds: PII_KINDS });
const redacted = (r: ReturnType<typeof createRedactor>, s: string) => r.redact(s).text;

t.test('emails: subaddresses, other scripts, punctuation around, not handles or half addresses', async (t) => {
  const r = only('emails');
  t.equal(redacted(r, 'write to ada+fb@example.org.'), 'write to [email].', 'a full stop after is not part of it');
  t.equal(redacted(r, '(josé.garcía@ejemplo.es)'), '([email])');
  t.equal(redacted(r, "o'brien@example.ie, then"), '[email], then');
  t.equal(redacted(r, 'a: 用户@例子.中国 ok'), 'a: [email] ok');
  t.equal(redacted(r, 'x@y.co and z@w.io'), '[email] and [email]');
  t.same(r.redact('x@y.co and z@w.io').counts, { emails: 2, phones: 0, urls: 0, cards: 0 });
  for (const s of ['@ada hi', 'me@home', 'a@b', 'user@localhost', 'ada@ is me', 'name @ domain . com', '@example.com']) {
    t.equal(redacted(r, s), s, `left: ${s}`);
  }
  t.equal(redacted(r, 'call +44 20 7946 0958 or see https://example.com'), 'call +44 20 7946 0958 or see https://example.com', 'only the kinds asked for');
});

t.test('phones: international formats of many countries; national ones only with phoneCountry', async (t) => {
  const r = only('phones');
  for (const p of ['+44 20 7946 0958', '+1 (415) 555-2671', '+49 30 901820', '+33 1 23 45 67 89', '+81 3-1234-5678', '+91 98765 43210', '+55 11 91234-5678', '+86 138 0013 8000']) {
    t.equal(redacted(r, `call ${p} now`), 'call [phone] now', p);
  }
  t.equal(redacted(r, 'ok (+32 470 12 34 56) thanks'), 'ok ([phone]) thanks', 'the brackets around stay, both of them');
  t.equal(redacted(r, 'old one +52 1 55 1234 5678'), 'old one [phone]', 'a retired plan the library rejects: taken by the + rule');
  t.equal(redacted(r, 'call (415) 555-2671'), 'call (415) 555-2671', 'a national number without a country is not found');
  const us = createRedactor({ kinds: ['phones'], phoneCountry: 'US' });
  t.equal(redacted(us, 'call (415) 555-2671 or +44 20 7946 0958'), 'call [phone] or [phone]');
  for (const s of ['+1 555', '+5 points', 'UTC+2 2024-01-05', 'gain +1,234 followers', '2024-01-05 12:30', 'order 123456789']) {
    t.equal(redacted(r, s), s, `left: ${s}`);
  }
  t.throws(() => createRedactor({ kinds: ['phones'], phoneCountry: 'XX' }), { code: 'FBS_INVALID_OPTION', message: /phoneCountry/ });
});

t.test('urls: schemes, www., bare domains with a path or a real TLD; not files, versions, IPs', async (t) => {
  const r = only('urls');
  t.equal(redacted(r, 'see https://example.com/a?b=1.'), 'see [url].', 'a full stop ends the sentence, not the link');
  t.equal(redacted(r, '(see https://x.com/a_(b))'), '(see [url])', 'brackets inside the link kept, the closing one outside left');
  t.equal(redacted(r, '((see https://x.com/a_(b))).'), '((see [url])).', 'only its own brackets');
  t.equal(redacted(r, 'at example.com/path ok'), 'at [url] ok');
  t.equal(redacted(r, 'www.example.org, or shop.de'), '[url], or [url]');
  t.equal(redacted(r, 'mailto:ada@example.com'), '[url]');
  for (const s of ['photo.jpg', 'report.v2.pdf', 'main.py', 'readme.md', 'ok.so then', 'v1.2.3', '10.0.19045', 'ping 192.168.0.1', 'e.g. this', 'U.S.']) {
    t.equal(redacted(r, s), s, `left: ${s}`);
  }
  t.equal(redacted(r, 'main.py/x'), '[url]', 'with a path, a file-like name is a link');
});

t.test('urls: the http(s) rule cuts links where linkify-it does', async (t) => {
  const linkify = new LinkifyIt({ fuzzyLink: false, fuzzyEmail: false, urlAuth: true });
  const links = URLS.filter((u) => /^https?:\/\//i.test(u));
  t.ok(links.length > 30);
  for (const link of links) {
    for (const text of [link, `see ${link}.`, `(${link})`, `"${link}", ok`, `${link}!`, `${link}\nnext`]) {
      const ours = findHttpUrls(text).map((s) => text.slice(s.start, s.end));
      const theirs = (linkify.match(text) ?? []).map((m) => m.raw);
      t.same(ours, theirs, JSON.stringify(text));
    }
  }
});

t.test('cards: Luhn-checked 13 to 19 digits, solid or grouped', async (t) => {
  const r = only('cards');
  t.equal(redacted(r, 'card 4111 1111 1111 1111 exp 12/27'), 'card [card] exp 12/27');
  t.equal(redacted(r, '4111-1111-1111-1111'), '[card]');
  t.equal(redacted(r, 'amex 3782 822463 10005.'), 'amex [card].');
  t.equal(redacted(r, '2 tickets 4111 1111 1111 1111 3 days'), '2 tickets [card] 3 days', 'a card among other numbers');
  for (const s of ['id 4111111111111112', 'ISBN 978-3-16-148410-0', 'barcode 4006381333931', '0000 0000 0000 0000', 'mixed 4111 1111-1111 1111', 'price 4111111111111111.50']) {
    t.equal(redacted(r, s), s, `left: ${s}`);
  }
});

t.test('overlaps: one replacement, the outer', async (t) => {
  t.equal(redacted(all, 'https://example.com/?u=ada@example.com'), '[url]', 'an email inside a URL');
  t.equal(redacted(all, 'https://wa.me/+14155552671'), '[url]', 'a phone inside a URL');
  t.equal(redacted(all, 'https://pay.example.com/4111111111111111'), '[url]', 'a card inside a URL');
  t.same(all.redact('https://example.com/?u=ada@example.com').counts, { emails: 0, phones: 0, urls: 1, cards: 0 });
  t.equal(redacted(all, 'ada.lovelace@example.com, see shop.de or example.com/x'), '[email], see [url] or [url]', 'links beside an email are still read');
  t.equal(redacted(all, 'ada.lovelace@example.com, https://x.com and www.example.org'), '[email], [url] and [url]');
  t.equal(redacted(only('emails'), 'https://example.com/?u=ada@example.com'), 'https://example.com/?u=[email]', 'the inner one when the outer kind is not asked');
});

t.test('text without PII comes back as the same string', async (t) => {
  const texts = ['', 'haha yes', 'See you at 7. Bring snacks!', 'lol 😂', ...Object.values(NEAR_MISSES).flat()];
  for (const s of texts) {
    const out = all.redact(s);
    t.equal(out.text, s);
    t.same(out.counts, { emails: 0, phones: 0, urls: 0, cards: 0 });
  }
  const none = createRedactor({ kinds: [] });
  t.equal(none.redact('ada@example.com').text, 'ada@example.com', 'no kind, nothing replaced');
});

t.test('idempotent: redacting twice gives what redacting once gives (property)', async (t) => {
  const pieces = [...EMAILS.slice(0, 10), ...PHONES.slice(0, 10), ...URLS.slice(0, 10), ...CARDS.slice(0, 10), ...Object.values(NEAR_MISSES).flat().slice(0, 40)];
  const glue = fc.constantFrom(' ', '', '.', ', ', '\n', '(', ')', '/', '-', '@', '+', ':');
  const text = fc.array(fc.oneof(fc.constantFrom(...pieces), glue, fc.string({ maxLength: 6 })), { maxLength: 8 }).map((parts) => parts.join(''));
  fc.assert(fc.property(text, (s) => {
    const once = all.redact(s).text;
    return all.redact(once).text === once;
  }), { numRuns: 2000, seed: 16 });
  t.pass('2,000 texts');
});

t.test('options: kinds must be known', async (t) => {
  t.throws(() => createRedactor({ kinds: ['mail' as PiiKind] }), { code: 'FBS_INVALID_OPTION', message: /redact.*emails, phones, urls, cards.*"mail"/ });
  t.throws(() => createRedactor({ kinds: 'emails' as never }), { code: 'FBS_INVALID_OPTION' });
  t.throws(() => createRedactor(undefined as never), { code: 'FBS_INVALID_OPTION' });
});
