/** cli/scavenger.ts: young collections without helper threads only when every core runs a job. */
import t from 'tap';
import { scavengerFlag, SERIAL_SCAVENGE_FLAG } from '../../cli/scavenger.js';

t.test('as many jobs as cores, or more: no helper threads', async (t) => {
  t.equal(scavengerFlag(2, 2, []), SERIAL_SCAVENGE_FLAG);
  t.equal(scavengerFlag(8, 4, []), SERIAL_SCAVENGE_FLAG);
  t.equal(SERIAL_SCAVENGE_FLAG, '--no-parallel-scavenge');
});

t.test('a free core for the helpers, or one job: nothing set', async (t) => {
  t.equal(scavengerFlag(1, 1, []), null, 'one job on one core: no second JS thread to wait on');
  t.equal(scavengerFlag(1, 2, []), null);
  t.equal(scavengerFlag(2, 4, []), null);
  t.equal(scavengerFlag(3, 4, []), null);
});

t.test("node's command line chose: left as it is", async (t) => {
  for (const arg of ['--parallel-scavenge', '--no-parallel-scavenge', '--parallel_scavenge', '--no-parallel_scavenge', '--parallel-scavenge=false', '--noparallel_scavenge']) {
    t.equal(scavengerFlag(2, 2, ['--enable-source-maps', arg]), null, arg);
  }
  t.equal(scavengerFlag(2, 2, ['--trace-parallel-scavenge']), SERIAL_SCAVENGE_FLAG, 'another flag that only contains the name');
});
