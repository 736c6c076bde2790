/**
 * cli/output.ts exitOnSignalOutsideWork: a signal outside withSignals (the CLI starting, or winding
 * down after its work ended) ends the process with the last work's exit code, never by the
 * signal's default action (which killed a process whose output was already committed). Its own
 * file: withSignals keeps a count of the works running, shared by the tests of one process.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import t from 'tap';
import type { Io } from '../../cli/io.js';
import { exitOnSignalOutsideWork, holdSignals, withSignals } from '../../cli/output.js';

t.test('the last work\'s code after it ended; the signal\'s before any; nothing while one runs', async (t) => {
  const exits: number[] = [];
  const proc = Object.assign(new EventEmitter(), { exit: (code?: number) => void exits.push(code ?? -1) });
  exitOnSignalOutsideWork(proc as never);
  proc.emit('SIGINT');
  t.same(exits, [130], 'before any work: 130');
  const io: Io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), stderrIsTTY: false, signals: new EventEmitter() };
  t.equal(
    await withSignals(io, async () => {
      proc.emit('SIGINT'); // the work's own listeners answer it
      return 0;
    }),
    0,
  );
  t.same(exits, [130], 'not while a work runs');
  proc.emit('SIGHUP'); // the output committed, the process winding down
  t.same(exits, [130, 0], 'after it: the work\'s code, 0');
  t.equal(await withSignals(io, async () => 1), 1);
  proc.emit('SIGTERM');
  t.same(exits, [130, 0, 1], 'the last work\'s code, 1');
});

t.test('a command that answers the signals itself holds them until it releases them', async (t) => {
  const exits: number[] = [];
  const proc = Object.assign(new EventEmitter(), { exit: (code?: number) => void exits.push(code ?? -1) });
  exitOnSignalOutsideWork(proc as never);
  const release = holdSignals();
  proc.emit('SIGINT');
  t.same(exits, [], 'held: left to the command');
  release();
  release(); // once only
  proc.emit('SIGINT');
  t.equal(exits.length, 1, 'released: the process ends');
});
