import t from 'tap';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { createProgress } from '../../cli/progress.js';
import type { Io } from '../../cli/io.js';

function io(tty: boolean): { io: Io; text: () => string } {
  const err = new PassThrough();
  let text = '';
  err.on('data', (c: Buffer) => (text += c.toString()));
  return { io: { stdin: new PassThrough(), stdout: new PassThrough(), stderr: err, stderrIsTTY: tty, signals: new EventEmitter() }, text: () => text };
}

t.test('drawn on a terminal: threads, bytes, rate, time left; cleared at the end', async (t) => {
  const { io: o, text } = io(true);
  let now = 0;
  const p = createProgress(o, false, 4, 4e6, () => now);
  now = 1000;
  p.read(1e6);
  t.match(text(), /threads 0\/4 +1\.0 MB\/4\.0 MB +1\.0 MB\/s +3 s left/, 'bytes move the line before any thread is done');
  now = 1100;
  p.thread();
  t.notMatch(text(), /threads 1\/4/, 'not redrawn within 250 ms');
  now = 2000;
  p.read(1e6);
  t.match(text(), /threads 1\/4 +2\.0 MB\/4\.0 MB +1\.0 MB\/s +2 s left/);
  now = 3000;
  p.read(9e6);
  t.match(text(), /threads 1\/4 +4\.0 MB\/4\.0 MB/, 'never past the total');
  p.done();
  t.match(text(), /\r\x1b\[K$/);
});

t.test('nothing when stderr is not a terminal, or with --quiet', async (t) => {
  for (const [tty, quiet] of [[false, false], [true, true]] as const) {
    const { io: o, text } = io(tty);
    const p = createProgress(o, quiet, 2, 10);
    p.read(5);
    p.thread();
    p.done();
    t.equal(text(), '');
  }
});
