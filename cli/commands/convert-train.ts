/**
 * The one go, `fbstream export.zip --train --model M [--wait]`: convert into a temporary file (or
 * `-o FILE`, kept), with `--split` the validation share into a second one, then check, upload and
 * start the job as `fbstream train` does (cli/commands/train.ts). The flags, the provider and its
 * key are checked before anything is converted; the temporary files are removed when the run ends,
 * fails or is interrupted.
 */
import { closeDispatcher } from '../../lib/api/http.js';
import { resolveProvider } from '../../lib/api/provider.js';
import { OptionError, UsageError } from '../../lib/errors.js';
import { CONVERT_OPTIONS, CONVERT_TRAIN_OPTIONS, normalizeConvertOptions, normalizeTrainOptions, type TrainOptions } from '../../lib/options.js';
import { createTempFolder } from '../../lib/temp-files.js';
import { modelInfo } from '../../lib/tokens.js';
import { flagValues, kebab } from '../flags.js';
import { say, type Io } from '../io.js';
import { reportError, withSignals } from '../output.js';
import { convertWithProgress, optionsOf, printResult, type ConvertArgs } from './convert.js';
import { trainAndPrint } from './train.js';

export async function runConvertTrain(args: ConvertArgs, io: Io): Promise<number> {
  try {
    const { train, ...flags } = flagValues(args, CONVERT_TRAIN_OPTIONS);
    if (train !== true) throw new UsageError(`${Object.keys(flags).map((f) => `--${kebab(f)}`).join(', ')} go${Object.keys(flags).length === 1 ? 'es' : ''} with --train`);
    if (args.out === '-') throw new UsageError('--train trains from a file: -o - (stdout) cannot be used with it (-o FILE keeps the dataset)');
    if ((args.format ?? CONVERT_OPTIONS.format.default) !== 'openai') throw new UsageError(`--train needs --format openai (the chat JSONL the trainers take), got --format ${args.format}`);
    const model = args.model ?? CONVERT_OPTIONS.model.default;
    // the conversion's default model is OpenAI's: not one Together trains
    if (flags['provider'] === 'together' && modelInfo(model).matched !== null) throw new UsageError(`--train --provider together needs --model: a Together base model (e.g. meta-llama/Meta-Llama-3.1-8B-Instruct-Reference) with --max-tokens, not ${model}`);
    const options = normalizeTrainOptions({ ...(flags as Omit<TrainOptions, 'model'>), model });
    const config = resolveProvider(options, io.env ?? process.env);
    checkConvertOptions(args, model);
    return await withSignals(io, async (signal) => {
      const temp = await createTempFolder('fbstream-train-', args.tmpDir);
      try {
        const out = args.out ?? temp.file('train.jsonl');
        const validation = args.split === undefined ? null : (args.validationOut ?? temp.file('validation.jsonl'));
        let converted;
        try {
          converted = await convertWithProgress({ ...optionsOf(args), out, ...(validation !== null && { validationOut: validation }) }, args, io, signal);
        } catch (err) {
          if (signal.aborted) throw err;
          return reportError(io, err);
        }
        const code = printResult(io, args, converted);
        if (code !== 0) {
          say(io, `not training: the conversion left threads out (above); to train on the rest, convert with -o FILE, then run fbstream train FILE --model ${model}`);
          return code;
        }
        const labels = { ...(args.out === undefined && { training: 'the converted training data' }), ...(args.validationOut === undefined && { validation: 'the converted validation share' }) };
        const run = { file: out, options: { ...options, validation }, config, json: false, signal, labels };
        return await trainAndPrint(io, args.maxTokens === undefined ? run : { ...run, maxTokens: args.maxTokens });
      } finally {
        await temp.remove();
      }
    });
  } catch (err) {
    return reportError(io, err);
  } finally {
    await closeDispatcher();
  }
}

/**
 * The conversion's own rules, said before any work. A base model outside the token table needs
 * `--max-tokens` for the conversion (its token limit); with `--train` the message says why.
 */
function checkConvertOptions(args: ConvertArgs, model: string): void {
  try {
    normalizeConvertOptions({ ...optionsOf(args), out: 'train.jsonl', ...(args.split !== undefined && { validationOut: 'validation.jsonl' }) });
  } catch (err) {
    if (err instanceof OptionError && err.option === '--max-tokens' && args.maxTokens === undefined) {
      const rule = `is needed with --train --model ${model}: the base model also sets the conversion's tokens per example, and ${model} is not in the token table (gpt-4o, gpt-4o-mini, gpt-4.1, gpt-4.1-mini, gpt-4.1-nano, gpt-3.5-turbo); give its context length, e.g. --max-tokens 8192`;
      throw new UsageError(`Invalid option --max-tokens: ${rule}`, 'FBS_INVALID_OPTION');
    }
    throw err;
  }
}
