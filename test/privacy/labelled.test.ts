/**
 * The labelled corpus (test/fixtures/privacy/labelled.ts): at least 99% of the PII replaced, exactly
 * as labelled, and at most 1% of the near misses touched. Misses are printed when a bound fails.
 */
import t from 'tap';
import { createRedactor, PII_KINDS } from '../../lib/privacy/redact.js';
import { LABELLED_NEAR_MISSES, LABELLED_PII } from '../fixtures/privacy/labelled.js';

const redactor = createRedactor({ kinds: PII_KINDS });

t.test('labelled corpus: size and spread', async (t) => {
  t.ok(LABELLED_PII.length >= 300, `${LABELLED_PII.length} PII items`);
  t.ok(LABELLED_NEAR_MISSES.length >= 300, `${LABELLED_NEAR_MISSES.length} near misses`);
  for (const kind of PII_KINDS) t.ok(LABELLED_PII.filter((p) => p.kind === kind).length >= 50, `at least 50 ${kind}`);
  t.equal(new Set(LABELLED_PII.map((p) => p.value)).size, LABELLED_PII.length, 'no value twice');
});

t.test('labelled corpus: at least 99% of the PII replaced, as labelled', async (t) => {
  const misses = LABELLED_PII.flatMap((p) => {
    const got = redactor.redact(p.text).text;
    return got === p.expected ? [] : [`${p.kind} ${JSON.stringify(p.text)} -> ${JSON.stringify(got)} (want ${JSON.stringify(p.expected)})`];
  });
  const recall = 1 - misses.length / LABELLED_PII.length;
  t.comment(`recall ${(recall * 100).toFixed(2)}% (${LABELLED_PII.length - misses.length}/${LABELLED_PII.length})`);
  t.ok(recall >= 0.99, `recall ${(recall * 100).toFixed(2)}% >= 99%`, { misses });
  for (const kind of PII_KINDS) {
    const ofKind = LABELLED_PII.filter((p) => p.kind === kind);
    const hit = ofKind.filter((p) => redactor.redact(p.text).counts[kind] === 1).length;
    t.ok(hit / ofKind.length >= 0.99, `${kind}: counted once in ${hit}/${ofKind.length}`);
  }
});

t.test('labelled corpus: at most 1% of the near misses touched', async (t) => {
  const touched = LABELLED_NEAR_MISSES.flatMap((n) => {
    const got = redactor.redact(n.text).text;
    return got === n.text ? [] : [`${n.category} ${JSON.stringify(n.text)} -> ${JSON.stringify(got)}`];
  });
  const rate = touched.length / LABELLED_NEAR_MISSES.length;
  t.comment(`near misses touched ${(rate * 100).toFixed(2)}% (${touched.length}/${LABELLED_NEAR_MISSES.length})`);
  t.ok(rate <= 0.01, `${(rate * 100).toFixed(2)}% <= 1%`, { touched });
});

t.test('labelled corpus: redaction is idempotent on every item', async (t) => {
  for (const { text } of [...LABELLED_PII, ...LABELLED_NEAR_MISSES]) {
    const once = redactor.redact(text).text;
    const twice = redactor.redact(once);
    if (twice.text !== once) t.fail(`not idempotent: ${JSON.stringify(text)} -> ${JSON.stringify(once)} -> ${JSON.stringify(twice.text)}`);
  }
  t.pass('each item redacted twice gives what it gave once');
});
