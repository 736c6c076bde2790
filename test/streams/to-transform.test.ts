import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { Stage } from '../../lib/core/stage.js';
import { toTransform } from '../../lib/streams/to-transform.js';

/** A stage that releases `n` batches lazily at flush and records how far it got. */
function lazyStage(n: number, log: { produced: number; destroyed: boolean; returned: boolean }): Stage<number[], number> {
  return {
    push: () => [],
    flush: () => (function* () {
      try {
        for (let i = 0; i < n; ++i) {
          log.produced = i + 1;
          yield [i];
        }
      } finally {
        log.returned = true;
      }
    })(),
    destroy: () => {
      log.destroyed = true;
    },
  };
}

t.test('a lazy output is drained only as fast as the reader reads', async (t) => {
  const log = { produced: 0, destroyed: false, returned: false };
  const stream = toTransform(lazyStage(1000, log));
  stream.end([1]);
  await sleep(20);
  t.ok(log.produced < 100, `produced ${log.produced} batches with nobody reading`);
  const got: number[][] = [];
  for await (const b of stream) got.push(b as number[]);
  t.equal(got.length, 1000);
  t.ok(log.returned);
});

t.test('destroy stops the output and lets the core clean up', async (t) => {
  const log = { produced: 0, destroyed: false, returned: false };
  const stream = toTransform(lazyStage(1000, log));
  stream.end([1]);
  await sleep(10);
  stream.destroy();
  await sleep(10);
  t.ok(log.destroyed, 'core.destroy called');
  t.ok(log.returned, 'the half-drained iterator was closed');
  t.ok(log.produced < 1000);
});

t.test('a throw inside the core becomes the stream error; nothing pushed after it', async (t) => {
  let pushes = 0;
  const stage: Stage<number[], number> = {
    push: (b) => {
      if (b[0] === 2) throw new Error('boom');
      ++pushes;
      return b;
    },
    flush: () => [],
  };
  const seen: number[] = [];
  await t.rejects(
    pipeline([Readable.from([[1], [2], [3]], { objectMode: true }), toTransform(stage), new Writable({ objectMode: true, write: (c, _e, cb) => { seen.push(...(c as number[])); cb(); } })]),
    { message: 'boom' },
  );
  t.same(seen, [1]);
  t.equal(pushes, 1);
});
