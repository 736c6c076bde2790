/** The options module (lib/options.ts): every default and rule in one place, plain data out. */
import t from 'tap';
import yargs from 'yargs';
import { CONVERT_OPTIONS, DEFAULT_KINDS, DEFAULT_SECTIONS, normalizeConvertOptions, normalizeStageOptions, stageSettings } from '../lib/options.js';
import { convertOptions } from '../cli/commands/convert.js';

t.test('defaults', async (t) => {
  const o = normalizeConvertOptions();
  t.match(o, { inputs: [], me: null, out: null, sections: DEFAULT_SECTIONS, groups: true, thread: [], jobs: Number });
  t.ok(o.jobs >= 1);
  t.same(o.stages, { preset: 'default', window: 8, overlap: 2, merge: true, names: true, kinds: DEFAULT_KINDS, memoryBytes: 4 * 1024 * 1024, mergeGapMs: 10 * 60_000, sessionGapMs: 6 * 3_600_000, format: 'openai', maxTokens: 65_536, encoding: 'o200k_base', redact: [] });
  t.ok(Object.isFrozen(o) && Object.isFrozen(o.stages), 'frozen');
});

t.test('units: hours, minutes, MB and dates become ms and bytes', async (t) => {
  const o = normalizeConvertOptions({ sessionGap: 6, mergeGap: 30, sortMemory: 2, since: '2024-01-01', until: '2024-02-01T12:00:00Z', model: 'gpt-3.5-turbo' });
  t.match(o.stages, { maxTokens: 16_385, encoding: 'cl100k_base' }, 'the model: its limit and encoding');
  t.match(normalizeConvertOptions({ sessionGap: 0, mergeGap: 0 }).stages, { sessionGapMs: 0, mergeGapMs: 0 }, '0: off');
  t.match(o.stages, { sessionGapMs: 6 * 3_600_000, mergeGapMs: 30 * 60_000, memoryBytes: 2 * 1024 * 1024, sinceMs: Date.UTC(2024, 0, 1), untilMs: Date.UTC(2024, 1, 1, 12) });
});

t.test('plain data: posted to a worker as it is, and normalising it again gives the same', async (t) => {
  const settings = stageSettings(normalizeConvertOptions({ window: 4, overlap: 1, sessionGap: 1, system: 'hi', kinds: ['text'] }), 'Ada');
  t.same(structuredClone(settings), settings);
  t.same(normalizeStageOptions(settings), settings);
  t.same(normalizeStageOptions({ me: 'Ada' }), { me: 'Ada', ...{ preset: 'default', window: 8, overlap: 2, merge: true, names: true, kinds: DEFAULT_KINDS, memoryBytes: 4 * 1024 * 1024, mergeGapMs: 10 * 60_000, sessionGapMs: 6 * 3_600_000, format: 'openai', maxTokens: 65_536, encoding: 'o200k_base', redact: [] } });
});

t.test('every rule names the option as the CLI spells it', async (t) => {
  const bad: [Parameters<typeof normalizeConvertOptions>[0], RegExp][] = [
    [{ window: 0 }, /--window: must be an integer >= 1, got 0/],
    [{ window: 2.5 }, /--window/],
    [{ overlap: -1 }, /--overlap: must be an integer >= 0/],
    [{ window: 4, overlap: 4 }, /--overlap: must be less than --window \(4\)/],
    [{ jobs: 0 }, /--jobs: must be an integer >= 1/],
    [{ jobs: Number.NaN }, /--jobs: .*something that is not a number/],
    [{ sessionGap: -1 }, /--session-gap: must be a number of hours >= 0/],
    [{ mergeGap: -5 }, /--merge-gap: must be a number of minutes >= 0/],
    [{ format: 'csv' as never }, /--format: must be/],
    [{ model: 'llama-3' }, /--max-tokens: is needed for llama-3/],
    [{ maxTokens: 10 }, /--max-tokens: must be an integer >= 64/],
    [{ redact: ['emails', 'ssn'] as never }, /--redact: each must be one of/],
    [{ pseudonymize: true }, /--salt: must be given with --pseudonymize/],
    [{ split: 1.5, validationOut: 'v.jsonl' }, /--split: must be a number between 0 and 1/],
    [{ split: 0.9 }, /--split and --validation-out go together/],
    [{ sortMemory: 0.5 }, /--sort-memory: must be a number of MB >= 1/],
    [{ since: 'yesterday' }, /--since: must be a date/],
    [{ since: '2024-02-01', until: '2024-01-01' }, /--until: must be after --since \(2024-02-01\)/],
    [{ sections: ['inbox,spam'] as never }, /--sections: each must be one of .*got "spam"/],
    [{ me: '' }, /--me: must be a name/],
    [{ preset: 'fast' as never }, /--preset: must be "default" or "langchain"/],
    [{ kinds: ['text', 'gif' as never] }, /--kinds: each must be one of/],
    [{ merge: 'yes' as never }, /--merge: must be true or false/],
  ];
  for (const [options, message] of bad) {
    t.throws(() => normalizeConvertOptions(options), { code: 'FBS_INVALID_OPTION', message }, JSON.stringify(options));
  }
  t.throws(() => normalizeStageOptions({ me: 'Ada', memoryBytes: 10 }), { code: 'FBS_INVALID_OPTION', message: /memoryBytes/ });
});

t.test('the CLI takes its flags, defaults and help lines from the module', async (t) => {
  const help = await convertOptions(yargs([]).wrap(200)).getHelp();
  for (const [name, o] of Object.entries(CONVERT_OPTIONS)) {
    const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    t.match(help, flag, `${flag} is a flag`);
    t.match(help, o.describe.slice(0, 30), `${flag}'s help line`);
    if ('default' in o) t.match(help, `[default: ${typeof o.default === 'string' ? `"${o.default}"` : o.default}]`, `${flag}'s default`);
  }
});
