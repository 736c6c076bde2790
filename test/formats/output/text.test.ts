/** lib/formats/output/text.ts: plain transcripts for base models. */
import t from 'tap';
import fc from 'fast-check';
import { isoSeconds, toTextLine, transcriptLine } from '../../../lib/formats/output/text.js';
import { anyExample, counts, example, keysOf } from './examples.js';

const at = Date.UTC(2024, 0, 5, 12, 30, 0);

t.test('text: one {"text"} record per example, one "(time) Sender: text" line per message, system left out', async (t) => {
  const c = counts();
  const line = toTextLine(example([
    { role: 'system', content: 'ignored' },
    { role: 'user', content: 'Lunch?', sender: 'Charles Babbage', timestampMs: at },
    { role: 'assistant', content: 'Sure, 1pm', sender: 'Ada Lovelace', timestampMs: at + 61_500 },
  ]), c);
  t.equal(line, '{"text":"(2024-01-05T12:30:00Z) Charles Babbage: Lunch?\\n(2024-01-05T12:31:01Z) Ada Lovelace: Sure, 1pm"}\n');
  t.same(c, { examplesSkipped: 0, turnsDropped: 0 });
});

t.test('text: further lines of a message indented by two spaces, blank ones left blank, any line break', async (t) => {
  t.equal(
    transcriptLine({ role: 'user', content: 'one\ntwo\r\n\r\nthree\rfour', sender: 'Ada', timestampMs: at }),
    '(2024-01-05T12:30:00Z) Ada: one\n  two\n\n  three\n  four',
  );
  t.equal(transcriptLine({ role: 'user', content: '\nlater', sender: 'Ada', timestampMs: at }), '(2024-01-05T12:30:00Z) Ada:\n  later');
  t.equal(transcriptLine({ role: 'user', content: '', sender: 'Ada', timestampMs: at }), '(2024-01-05T12:30:00Z) Ada:');
});

t.test('text: without stamps the sender is the name, else the role, and the time is left out', async (t) => {
  t.equal(transcriptLine({ role: 'user', content: 'hi', name: 'Bob' }), 'Bob: hi');
  t.equal(transcriptLine({ role: 'user', content: 'hi' }), 'User: hi');
  t.equal(transcriptLine({ role: 'assistant', content: 'yo', sender: ' \n ' }), 'Assistant: yo');
  t.equal(transcriptLine({ role: 'assistant', content: 'yo', sender: 'Ada\nLovelace', timestampMs: Number.NaN }), 'Ada Lovelace: yo');
});

t.test('text: times to the second in UTC; none for what a Date cannot hold', async (t) => {
  t.equal(isoSeconds(0), '1970-01-01T00:00:00Z');
  t.equal(isoSeconds(at + 999), '2024-01-05T12:30:00Z');
  t.equal(isoSeconds(8.64e15 + 1), undefined);
  t.equal(isoSeconds(Number.POSITIVE_INFINITY), undefined);
  t.equal(isoSeconds(undefined), undefined);
});

t.test('text: an example with only a system message is skipped and counted', async (t) => {
  const c = counts();
  t.equal(toTextLine(example([{ role: 'system', content: 's' }]), c), '');
  t.same(c, { examplesSkipped: 1, turnsDropped: 0 });
});

t.test('text: every line is valid UTF-8 JSON {"text"}; its lines that start a message are one per message', async () => {
  fc.assert(
    fc.property(anyExample, (e) => {
      const c = counts();
      const line = toTextLine(e, c);
      const said = e.messages.filter((m) => m.role !== 'system').length;
      if (line === '') return said === 0 && c.examplesSkipped === 1;
      const o = JSON.parse(line);
      const starts = (o.text as string).split('\n').filter((l) => l !== '' && !l.startsWith('  '));
      return Buffer.from(line).toString() === line && line.indexOf('\n') === line.length - 1 && keysOf(o).join() === 'text' && starts.length === said;
    }),
  );
});
