/**
 * `fbstream validate FILE.jsonl [--model M] [--max-tokens N] [--json]`: check any JSONL of OpenAI
 * chat examples the way OpenAI's cookbook does, and count its tokens (the work is lib/validate/);
 * this file parses and prints. The report is the command's data: stdout. Exit 1 on any error in the
 * file, 0 otherwise (warnings alone: 0).
 */
import type { Argv, CommandModule } from 'yargs';
import type { IssueSummary } from '../../lib/validate/issues.js';
import type { FileValidation } from '../../lib/validate/validate-file.js';
import type { Io } from '../io.js';
import { isEpipe, reportError, withSignals, writeStdout } from '../output.js';

export interface ValidateArgs {
  file: string;
  model?: string;
  maxTokens?: number;
  json: boolean;
}

export function validateCommand(io: Io, setExit: (code: number) => void): CommandModule<object, ValidateArgs> {
  return {
    command: 'validate <file>',
    describe: 'Check a JSONL of OpenAI chat examples (any, not only ours): format errors by line, token counts, epochs and billed tokens',
    builder: (y) =>
      (y as Argv)
        .positional('file', { describe: 'The JSONL file', type: 'string' })
        .option('model', { describe: 'Model to check for: picks the encoding and the tokens per example (gpt-4o, gpt-4o-mini, gpt-4.1, gpt-4.1-mini, gpt-4.1-nano, gpt-3.5-turbo, their snapshots and ft: names)', type: 'string' })
        .option('max-tokens', { describe: 'Tokens per example (overrides the model\'s; needed for a model not in the list)', type: 'number' })
        .option('json', { describe: 'One JSON object on stdout', type: 'boolean', default: false }) as unknown as Argv<ValidateArgs>,
    handler: async (args) => setExit(await runValidate(args, io)),
  };
}

export async function runValidate(args: ValidateArgs, io: Io): Promise<number> {
  try {
    return await withSignals(io, async (signal) => {
      // loaded on use: the tokenizer is not needed to start every command
      const { validateFile } = await import('../../lib/validate/validate-file.js');
      const options = { signal, ...(args.model !== undefined ? { model: args.model } : {}), ...(args.maxTokens !== undefined ? { maxTokens: args.maxTokens } : {}) };
      const result = await validateFile(args.file, options);
      await writeStdout(io, args.json ? JSON.stringify(result, null, 2) + '\n' : humanText(result));
      return result.valid ? 0 : 1;
    });
  } catch (err) {
    if (isEpipe(err)) return 0;
    return reportError(io, err);
  }
}

const num = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });

function linesOf(issue: IssueSummary): string {
  const shown = issue.lines.map((line, i) => (issue.details?.[i] !== undefined ? `${line} (${issue.details[i]})` : String(line)));
  const more = issue.count > issue.lines.length ? `, … (${num(issue.count)} in all)` : '';
  return `line${issue.lines.length === 1 ? '' : 's'} ${shown.join(', ')}${more}`;
}

export function humanText(r: FileValidation): string {
  const out: string[] = [];
  out.push(`file: ${r.file} (${num(r.lines)} line${r.lines === 1 ? '' : 's'}, ${num(r.examples)} example${r.examples === 1 ? '' : 's'})`);
  const limit = r.limit === null ? 'no limit: give --model or --max-tokens to check lengths' : `${num(r.limit)} tokens per example`;
  out.push(`model: ${r.model ?? '(none)'} (${r.encoding}, ${limit})`);
  const section = (title: string, issues: IssueSummary[]) => {
    const total = issues.reduce((n, i) => n + i.count, 0);
    out.push(`${title}: ${total === 0 ? 'none' : num(total)}`);
    for (const i of issues) out.push(i.lines.length ? `  ${i.kind}: ${num(i.count)} — ${i.description}; ${linesOf(i)}` : `  ${i.kind} — ${i.description}`);
  };
  section('errors', r.errors);
  section('warnings', r.warnings);
  const t = r.tokens;
  if (t) {
    out.push(`tokens per example: min ${num(t.min)}, max ${num(t.max)}, mean ${num(t.mean)}, median ${num(t.median)}, p5 ${num(t.p5)}, p95 ${num(t.p95)}; total ${num(t.total)}`);
    if (r.limit !== null) out.push(`over the limit: ${num(r.overLimit)} example${r.overLimit === 1 ? '' : 's'} (truncated to ${num(r.limit)} tokens in training)`);
    out.push(`epochs: ${r.epochs} (OpenAI's default for ${num(r.examples)} examples)`);
    out.push(`billed tokens: ≈ ${num(r.billedTokens)} (epochs × Σ ${r.limit === null ? 'tokens' : 'min(limit, tokens)'})`);
  }
  out.push(r.valid ? 'valid: no errors' : `invalid: ${num(r.errors.reduce((n, i) => n + i.count, 0))} errors`);
  return out.join('\n') + '\n';
}
