/** lib/core/stage.ts: recordsOf reads a stage's output, one batch or a lazy iterable of batches, as it is read. */
import t from 'tap';
import { recordsOf } from '../../lib/core/stage.js';

t.test('a batch, and lazy batches (empty ones included), record after record', async (t) => {
  t.same([...recordsOf([1, 2, 3])], [1, 2, 3]);
  t.same([...recordsOf([])], []);
  t.same([...recordsOf([[1], [], [2, 3]])], [[1], [], [2, 3]], 'an array is one batch, whatever it holds');
  t.same([...recordsOf(new Set([[1, 2], [], [3]]))], [1, 2, 3], 'an iterable of batches');
});

t.test('lazy: a batch is made only when the records before it are read', async (t) => {
  let made = 0;
  function* batches() {
    for (let i = 0; i < 3; ++i) {
      ++made;
      yield [i * 2, i * 2 + 1];
    }
  }
  const records = recordsOf(batches());
  t.equal(made, 0);
  t.same([records.next().value, records.next().value], [0, 1]);
  t.equal(made, 1);
  t.same([...records], [2, 3, 4, 5]);
  t.equal(made, 3);
});
