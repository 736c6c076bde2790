/**
 * lib/streams/tokenizer.ts: the tokenizer's stream, fed one byte at a time or in random pieces
 * (characters, escapes and the byte-order mark cut anywhere), gives the tokens its core gives for
 * the whole input, and the decoder makes the same messages of them.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import t from 'tap';
import { createDecoder } from '../../lib/core/decoder.js';
import { createTokenizer } from '../../lib/core/tokenizer.js';
import { createTokenizerStream } from '../../lib/streams/tokenizer.js';
import type { TokenChunk } from '../../lib/types.js';
import { splitAt } from '../support/chunks.js';
import { sampleBytes } from '../support/sample-stages.js';
import { failedOnce, failingRun, runStage, streamRecords } from '../support/stage.js';

/** The tokens, with the fast path's arrays of messages taken apart: how many a chunk holds depends on where it was cut. */
function tokensOf(chunks: TokenChunk[]): unknown[] {
  return chunks.flatMap((c) => c.tokens.flatMap((tok): unknown[] => (tok.name === 'messageValues' ? tok.value.map((value) => ({ message: value })) : [tok])));
}

const messagesOf = (chunks: TokenChunk[]) => runStage(createDecoder(), [chunks]);
const tokenize = (pieces: Buffer[]) => streamRecords<TokenChunk>(createTokenizerStream({ source: 'sample.json' }), pieces);

const bytes = sampleBytes();
const core = runStage(createTokenizer({ source: 'sample.json' }), [bytes]);

t.test('the stream on the whole input: the core\'s token chunks', async (t) => {
  t.same(await tokenize([bytes]), core);
  t.ok(messagesOf(core).length > 60, 'the sample holds messages');
});

t.test('one byte at a time: the same tokens and messages; chunks keep their byte offsets', async (t) => {
  const pieces = [...bytes].map((b) => Buffer.from([b]));
  const chunks = await tokenize(pieces);
  t.same(tokensOf(chunks), tokensOf(core));
  t.same(messagesOf(chunks), messagesOf(core));
  const offsets = chunks.map((c) => c.offset);
  t.ok(offsets.every((o, i) => i === 0 || o > offsets[i - 1]!), 'offsets grow');
  t.ok(offsets.every((o) => o >= 0 && o <= bytes.length), 'within the input');
});

t.test('random pieces: the same tokens and messages', async (t) => {
  const want = tokensOf(core);
  await fc.assert(fc.asyncProperty(fc.array(fc.nat(), { maxLength: 40 }), async (cuts) => {
    const chunks = await tokenize(splitAt(bytes, cuts));
    assert.deepStrictEqual(tokensOf(chunks), want);
  }), { numRuns: 40 });
  t.pass('random pieces');
});

t.test('an error inside the core (invalid JSON) reaches the stream and the pipeline callback once', async (t) => {
  const bad = Buffer.concat([bytes, Buffer.from('{"messages": [1, 2}\n'), bytes]);
  const run = await failingRun(createTokenizerStream({ source: 'bad.json' }), [...bad].map((b) => Buffer.from([b])));
  failedOnce(t, run, { code: 'FBS_JSON_SYNTAX', source: 'bad.json' });
  t.ok((run.callbacks[0] as { offset: number }).offset >= bytes.length, 'the offset is past the good documents');
  t.ok(run.records > 0, 'the good documents\' tokens went through');
});

t.test('an error in flush (no document at all) reaches the stream and the pipeline callback once', async (t) => {
  const run = await failingRun(createTokenizerStream({ source: 'blank.json' }), [Buffer.from(' '), Buffer.from('\n')]);
  failedOnce(t, run, { code: 'FBS_EMPTY_INPUT', source: 'blank.json' });
});
