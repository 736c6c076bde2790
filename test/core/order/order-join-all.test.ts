/**
 * lib/core/order/order.ts, `joinParts: 'all'`: every document is one conversation whatever its thread id
 * (an export's joined E2EE thread: the cutover parts, then the E2EE file, ids differ), in memory
 * and through spill runs alike.
 */
import t from 'tap';
import { createOrder, type OrderOptions } from '../../../lib/core/order/order.js';
import { createMemorySpill } from '../../../lib/core/order/spill.js';
import type { Message } from '../../../lib/types.js';
import { msg, threadInfo } from '../../support/messages.js';
import { runStage } from '../../support/stage.js';

const order = (batches: Message[][], options: OrderOptions = {}) => runStage(createOrder(options), batches);

/**
 * Cutover parts (newest first, one id), then the E2EE file (oldest first, another id). `pad`
 * lengthens every text: held messages are packed, and 1 KiB (the smallest budget) must not hold two.
 */
function input(pad = ''): Message[][] {
  const cut1 = threadInfo('e2ee_cutover/zoe_1');
  const cut2 = threadInfo('e2ee_cutover/zoe_1');
  const e2ee = threadInfo('Zoë_40', { dialect: 'e2ee', section: null });
  const m = (thread: typeof cut1, sender: string, ts: number) => msg(thread, sender, ts, `${sender}@${ts}${pad}`);
  return [
    [m(cut1, 'z', 40), m(cut1, 'a', 30)],
    [m(cut2, 'z', 20), m(cut2, 'a', 10)],
    [m(e2ee, 'a', 50), m(e2ee, 'z', 60), m(e2ee, 'a', 70)],
  ];
}

t.test("joinParts 'all': documents with different ids are one thread, in time order", async (t) => {
  const out = order(input(), { joinParts: 'all' });
  t.same(out.map((m) => m.timestampMs), [10, 20, 30, 40, 50, 60, 70]);
  t.ok(out.every((m) => m.thread === out[0]!.thread), 'one ThreadInfo: the first document\'s');
  t.equal(out[0]!.thread.id, 'e2ee_cutover/zoe_1');
  t.same([...out[0]!.thread.senderCounts!].sort(), [['a', 4], ['z', 3]]);

  const store = createMemorySpill();
  let writes = 0;
  const spill = { ...store, write: (entries: Parameters<typeof store.write>[0]) => (++writes, store.write(entries)) };
  const spilled = order(input(' '.repeat(600)), { joinParts: 'all', memoryBytes: 1024, spill: spill as never });
  t.same(spilled.map((m) => m.timestampMs), [10, 20, 30, 40, 50, 60, 70], 'the same through spill runs');
  t.ok(writes > 0, 'runs were spilled');

  const byId = order(input());
  t.same(byId.map((m) => m.timestampMs), [10, 20, 30, 40, 50, 60, 70], 'the default joins by id: two threads');
  t.not(byId[0]!.thread, byId[4]!.thread);
});

t.test("joinParts must be true, false or 'all'", async (t) => {
  t.throws(() => createOrder({ joinParts: 'some' as never }), { code: 'FBS_INVALID_OPTION' });
});
