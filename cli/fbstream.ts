#!/usr/bin/env node
/**
 * The fbstream command line: this file only wires yargs. Each command lives in cli/commands/ and
 * returns an exit code; nothing here calls process.exit, so output is never cut short.
 */
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { chatCommand } from './commands/chat.js';
import { convertCommand } from './commands/convert.js';
import { inspectCommand } from './commands/inspect.js';
import { jobsCommand } from './commands/jobs.js';
import { trainCommand } from './commands/train.js';
import { uploadCommand } from './commands/upload.js';
import { validateCommand } from './commands/validate.js';
import { processIo, say, type Io } from './io.js';
import { exitOnSignalOutsideWork } from './output.js';
import { exitCodeOf, FbstreamError, UsageError } from '../lib/errors.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let code = 0;
  const cli = yargs(argv)
    .scriptName('fbstream')
    .usage('Usage: $0 [inputs..] [options]\n\nTurn a Facebook Messenger export into fine-tuning data (OpenAI chat JSONL).')
    .command(convertCommand(io, (c) => (code = c)))
    .command(inspectCommand(io, (c) => (code = c)))
    .command(validateCommand(io, (c) => (code = c)))
    .command(chatCommand(io, (c) => (code = c)))
    .command(jobsCommand(io, (c) => (code = c)))
    .command(trainCommand(io, (c) => (code = c)))
    .command(uploadCommand(io, (c) => (code = c)))
    .example('cat message_1.json | $0 --me "Ada Lovelace" > train.jsonl', 'One thread from stdin')
    .example('$0 facebook-ada-*.zip -o train.jsonl', 'A whole export: zip parts or folder')
    .example('$0 messages/ --preset langchain --me "Ada Lovelace"', "What LangChain's walkthrough gives")
    .example('$0 inspect facebook-ada-*.zip', 'What an export holds')
    .example('$0 validate train.jsonl --model gpt-4o-mini', 'Check a JSONL for OpenAI fine-tuning: errors by line, tokens, cost')
    .epilogue('Exit codes: 0 ok, 1 bad input data (what failed is left out and named), 2 usage error, 3 I/O failure, 129/130/143 interrupted.')
    .strictOptions()
    .strictCommands()
    .version(pkg.version)
    .help()
    .alias('h', 'help')
    .alias('V', 'version')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  try {
    await cli.parseAsync();
  } catch (err) {
    if (err instanceof FbstreamError) {
      say(io, `error: ${err.message}`);
      if (err instanceof UsageError) say(io, "try 'fbstream --help'");
      return exitCodeOf(err);
    }
    say(io, `error: ${(err as Error)?.message ?? String(err)}`);
    return 3;
  }
  return code;
}

exitOnSignalOutsideWork();
process.exitCode = await main(hideBin(process.argv));
