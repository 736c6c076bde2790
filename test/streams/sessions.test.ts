/** lib/streams/sessions.ts: the sessions stage's stream gives what its core gives, however the input is batched. */
import t from 'tap';
import { createSessions } from '../../lib/core/sessions.js';
import { createSessionsStream } from '../../lib/streams/sessions.js';
import { SESSIONS, deduped } from '../support/sample-stages.js';
import { checkBatchings, failedOnce, failingRun, poisoned, runStage } from '../support/stage.js';

t.test('batches of one message and random batchings: the core\'s output on the whole input', async (t) => {
  const numbers = new Set(runStage(createSessions(SESSIONS), [deduped()]).map((m) => m.session));
  t.same([...numbers].sort(), [0, 1, 2, 3], 'the sample has silences long enough');
  await checkBatchings(t, { input: deduped, core: () => createSessions(SESSIONS), stream: () => createSessionsStream(SESSIONS) });
});

t.test('an error inside the core reaches the stream and the pipeline callback once', async (t) => {
  const input = deduped();
  const boom = new Error('poisoned message');
  const run = await failingRun(createSessionsStream(SESSIONS), [input.slice(0, 10), [poisoned(input[10]!, 'thread', boom)], input.slice(11)]);
  failedOnce(t, run, { message: 'poisoned message' });
});
