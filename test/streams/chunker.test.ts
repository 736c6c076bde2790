/** lib/streams/chunker.ts: the chunker's stream gives what its core gives, however the input is batched. */
import t from 'tap';
import { createChunker, type ChunkerOptions } from '../../lib/core/chunker.js';
import { createChunkerStream } from '../../lib/streams/chunker.js';
import { CHUNKS, roleTurns } from '../support/sample-stages.js';
import { checkBatchings, failedOnce, failingRun, runStage } from '../support/stage.js';

/** LangChain's policies, with sessions held until their first assistant turn (nothing known before). */
const HELD: ChunkerOptions = { window: 4, overlap: 2, requireAssistant: 'session', trimTrailingUser: false, short: 'drop', tail: 'drop' };

t.test('batches of one turn and random batchings: the core\'s output on the whole input', async (t) => {
  t.ok(runStage(createChunker(CHUNKS), [roleTurns()]).length > 10, 'the sample makes examples');
  for (const options of [CHUNKS, HELD, { ...CHUNKS, system: 'You are Ada.' }]) {
    await checkBatchings(t, { input: roleTurns, core: () => createChunker(options), stream: () => createChunkerStream(options) });
  }
});

t.test('an error inside the core (too many turns held) reaches the stream and the pipeline callback once', async (t) => {
  const input = roleTurns();
  t.equal(input[0]!.role, 'user', 'the sample starts on a user turn');
  const run = await failingRun(createChunkerStream({ ...HELD, maxHeldTurns: 0 }), input.map((r) => [r]));
  failedOnce(t, run, { code: 'FBS_LIMIT', message: /turns before the first assistant turn/ });
});
