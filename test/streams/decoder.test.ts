/**
 * lib/streams/decoder.ts: the decoder's stream gives the messages its core gives for the whole
 * input, fed one token per batch, in random batchings, or as the tokenizer cut them byte by byte.
 */
import t from 'tap';
import { createDecoder } from '../../lib/core/decoder.js';
import { createTokenizer } from '../../lib/core/tokenizer.js';
import { createDecoderStream } from '../../lib/streams/decoder.js';
import type { TokenChunk } from '../../lib/types.js';
import { sampleBytes, tokenChunks } from '../support/sample-stages.js';
import { checkBatchings, failedOnce, failingRun, runStage, streamRecords } from '../support/stage.js';

/** One token per chunk, the fast path's arrays of messages one message each. */
function oneTokenChunks(chunks: TokenChunk[]): TokenChunk[] {
  return chunks.flatMap(({ source, offset, tokens }) =>
    tokens.flatMap((tok): TokenChunk[] =>
      tok.name === 'messageValues'
        ? tok.value.map((value) => ({ source, offset, tokens: [{ name: 'messageValues' as const, value: [value], offset: tok.offset }] }))
        : [{ source, offset, tokens: [tok] }],
    ),
  );
}

t.test('one token per batch and random batchings: the core\'s messages on the whole input', async (t) => {
  const whole = runStage(createDecoder(), [tokenChunks()]);
  t.ok(new Set(whole.map((m) => m.thread.dialect)).size > 1, 'classic and E2EE documents');
  await checkBatchings(t, { input: () => oneTokenChunks(tokenChunks()), core: () => createDecoder(), stream: () => createDecoderStream() });
});

t.test('the token chunks of a byte-at-a-time tokenizer, one per batch: the same messages', async (t) => {
  const tokenizer = createTokenizer({ source: 'sample.json' });
  const chunks = runStage(tokenizer, [...sampleBytes()].map((b) => Buffer.from([b])));
  t.same(await streamRecords(createDecoderStream(), chunks.map((c) => [c])), runStage(createDecoder(), [tokenChunks()]));
});

t.test('an error inside the core (not a thread) reaches the stream and the pipeline callback once', async (t) => {
  const notAThread = runStage(createTokenizer({ source: 'list.json' }), [Buffer.from('[1, 2]')]);
  const run = await failingRun(createDecoderStream(), [...tokenChunks().map((c) => [c]), notAThread, ...tokenChunks().map((c) => [c])]);
  failedOnce(t, run, { code: 'FBS_NOT_A_THREAD', source: 'list.json' });
});

t.test('an error in flush (tokens end inside a document) reaches the stream and the pipeline callback once', async (t) => {
  const tokens = oneTokenChunks(tokenChunks());
  const run = await failingRun(createDecoderStream(), tokens.slice(0, tokens.length - 1).map((c) => [c]));
  failedOnce(t, run, { code: 'FBS_JSON_SYNTAX', message: /ends inside a document/ });
});
