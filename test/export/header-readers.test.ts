/**
 * Headers read elsewhere (`HeaderOptions.elsewhere`, lib/export/open-export.ts): the workers
 * waiting for a run (lib/export/runners.ts `headersInWaitingWorkers`) read a share of the headers
 * the owner needs, and give the same headers as the main thread; a header they cannot read is read
 * by the main thread, whose error the caller sees as without workers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { openExport, type HeaderReaders } from '../../lib/export/open-export.js';
import { headersInWaitingWorkers, prestartWorkers } from '../../lib/export/runners.js';
import type { ThreadHeader } from '../../lib/export/thread-header.js';
import type { PartRef } from '../../lib/export/part-ref.js';

const INBOX = 'your_facebook_activity/messages/inbox';

function writeExport(root: string, broken?: string): void {
  for (let i = 0; i < 12; ++i) {
    const name = `friend${i}_${100 + i}`;
    const people = [{ name: `Friend ${i}` }, { name: 'Ada Lovelace' }, ...(i % 3 === 0 ? [{ name: `Other ${i}` }] : [])];
    const doc = { participants: people, messages: [{ sender_name: `Friend ${i}`, timestamp_ms: 1.7e12 + i, content: `hi ${i}` }], title: `Chat ${i}`, thread_type: i % 3 === 0 ? 'RegularGroup' : 'Regular', thread_path: `inbox/${name}` };
    mkdirSync(join(root, INBOX, name), { recursive: true });
    writeFileSync(join(root, INBOX, name, 'message_1.json'), name === broken ? '{"participants": [{"name": ' : JSON.stringify(doc));
  }
}

async function headersOf(root: string, elsewhere?: HeaderReaders): Promise<[string, ThreadHeader][]> {
  const opened = await openExport([root]);
  try {
    const got = await opened.headers(opened.index.threads, elsewhere ? { elsewhere } : {});
    return [...got].map(([plan, h]) => [plan.key, h]);
  } finally {
    await opened.close();
  }
}

t.test('waiting workers read a share of the headers: the same headers as the main thread alone', async (t) => {
  const root = t.testdir();
  writeExport(root);
  const alone = await headersOf(root);
  t.equal(alone.length, 12);
  t.equal(prestartWorkers(2), 2, 'two workers waiting');
  let asked = 0;
  const counting: HeaderReaders = {
    count: () => headersInWaitingWorkers.count(),
    read(parts) {
      asked += parts.length;
      return headersInWaitingWorkers.read(parts);
    },
  };
  t.same(await headersOf(root, counting), alone, 'the same headers, in the same order');
  t.equal(asked, 8, 'the two workers were asked 8 of the 12 (the main thread keeps a third)');
});

t.test("a reader's headers are taken as they come; where it has none, the main thread reads", async (t) => {
  const root = t.testdir();
  writeExport(root);
  const alone = await headersOf(root);
  // one reader: the second half; it answers every other one
  const half: HeaderReaders = {
    count: () => 1,
    read: (parts: PartRef[]) => [Promise.resolve(parts.map((_, i) => (i % 2 === 0 ? { participants: ['From elsewhere'], isGroup: false, format: 'classic' as const } : null)))],
  };
  const got = await headersOf(root, half);
  t.same(got.slice(0, 6), alone.slice(0, 6), 'the first half read here');
  got.slice(6).forEach(([key, h], i) => {
    if (i % 2 === 0) t.same(h.participants, ['From elsewhere'], `${key}: the reader's`);
    else t.same(h, alone[6 + i]![1], `${key}: not answered there, read here`);
  });
});

t.test('a header that cannot be read: the same error as without workers', async (t) => {
  const root = t.testdir();
  writeExport(root, 'friend7_107'); // in the worker's share (the later half, by key)
  const plain = await headersOf(root).then(
    () => null,
    (err: Error & { code?: string }) => ({ code: err.code, message: err.message }),
  );
  t.ok(plain, 'fails without workers');
  prestartWorkers(1);
  const withWorkers = await headersOf(root, headersInWaitingWorkers).then(
    () => null,
    (err: Error & { code?: string }) => ({ code: err.code, message: err.message }),
  );
  t.same(withWorkers, plain, `${plain?.code}: the same error`);
});

t.test('a header read with its title is not read again for --thread (titled headers)', async (t) => {
  const root = t.testdir();
  writeExport(root);
  const opened = await openExport([root]);
  t.teardown(() => opened.close());
  let reads = 0;
  for (const plan of opened.index.threads) {
    const entry = plan.parts[0]!;
    const readInPlace = entry.readInPlace!.bind(entry);
    entry.readInPlace = () => (++reads, readInPlace());
  }
  const plain = await opened.headers(opened.index.threads);
  const titled = await opened.headers(opened.index.threads, { title: true });
  t.equal(reads, 12, 'each file read once');
  t.same([...titled.values()], [...plain.values()], 'the same headers, titles included');
  t.ok([...titled.values()].every((h) => h.title?.startsWith('Chat ')), 'every title found (at the end of the file)');
});
