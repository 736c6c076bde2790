/** lib/streams/role-mapper.ts: the role mapper's stream gives what its core gives, however the input is batched. */
import t from 'tap';
import { createRoleMapper } from '../../lib/core/role-mapper.js';
import { createRoleMapperStream } from '../../lib/streams/role-mapper.js';
import { ROLES, turns } from '../support/sample-stages.js';
import { checkBatchings, failedOnce, failingRun, poisoned, runStage, streamRecords } from '../support/stage.js';

t.test('batches of one turn and random batchings: the core\'s output on the whole input', async (t) => {
  const mapped = runStage(createRoleMapper(ROLES), [turns()]);
  t.same(new Set(mapped.map((r) => r.role)), new Set(['user', 'assistant']));
  t.ok(mapped.some((r) => r.name !== undefined), 'names in the group chat');
  await checkBatchings(t, { input: turns, core: () => createRoleMapper(ROLES), stream: () => createRoleMapperStream(ROLES) });
});

t.test('the stats and the thread callback count the same whole or one turn at a time', async (t) => {
  const whole = { assistantTurns: 0 };
  const threads: string[] = [];
  const options = { ...ROLES, onThread: (th: { id: string }) => threads.push(th.id) };
  runStage(createRoleMapper(options, whole), [turns()]);
  const want = [...threads];
  threads.length = 0;
  const streamed = { assistantTurns: 0 };
  await streamRecords(createRoleMapperStream(options, streamed), turns().map((r) => [r]));
  t.ok(whole.assistantTurns > 0);
  t.equal(streamed.assistantTurns, whole.assistantTurns);
  t.same(threads, want);
});

t.test('an error inside the core reaches the stream and the pipeline callback once', async (t) => {
  const input = turns();
  const boom = new Error('poisoned turn');
  const run = await failingRun(createRoleMapperStream(ROLES), [input.slice(0, 10), [poisoned(input[10]!, 'thread', boom)], input.slice(11)]);
  failedOnce(t, run, { message: 'poisoned turn' });
});
