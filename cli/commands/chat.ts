/**
 * `fbstream chat --model M [--system TEXT] [--once TEXT]`: talk to a model through any
 * OpenAI-compatible chat endpoint (lib/api/chat.ts does the talking). The reply goes to stdout as
 * it streams; prompts and notes go to stderr.
 *
 * - `--once TEXT` sends one message, prints the reply and exits 0 (`--once -`: the message is all
 *   of stdin).
 * - Otherwise each line read is the next message, the conversation kept: typed at a terminal
 *   (a `> ` prompt), or piped in (no prompt: a scripted conversation). `/reset` starts over,
 *   `/exit` or end of input (Ctrl-D) ends it.
 * - Ctrl-C during a reply stops that reply (the turn is not kept) and the session goes on; Ctrl-C
 *   at the prompt, or again during the same reply, exits 130. SIGTERM / SIGHUP exit 143 / 129.
 * - An API error ends a piped conversation with its exit code; at a terminal it is said, the turn
 *   is not kept, and the session goes on.
 */
import { createInterface } from 'node:readline';
import type { Argv, CommandModule } from 'yargs';
import type { ChatRequest, ChatSession } from '../../lib/api/chat.js';
import { UsageError } from '../../lib/errors.js';
import { API_OPTIONS, CHAT_OPTIONS, normalizeChatOptions, type ChatOptions, type NormalizedChatOptions } from '../../lib/options.js';
import { addFlags, flagValues } from '../flags.js';
import { say, type Io } from '../io.js';
import { holdSignals, InterruptedError, isEpipe, reportError, withSignals } from '../output.js';

export type ChatArgs = ChatOptions;

const FLAGS = { ...CHAT_OPTIONS, ...API_OPTIONS };

/** One turn's request: the conversation itself comes from the session. */
type TurnRequest = Omit<ChatRequest, 'messages' | 'system'>;

export function chatCommand(io: Io, setExit: (code: number) => void): CommandModule<object, ChatArgs> {
  return {
    command: 'chat',
    describe: 'Talk to a model through an OpenAI-compatible chat endpoint (OpenAI, Azure, Together, Ollama, vLLM, llama.cpp): replies streamed, the conversation kept; /reset, /exit',
    builder: (y) => addFlags(y as Argv, FLAGS) as unknown as Argv<ChatArgs>,
    handler: async (args) => setExit(await runChat(args, io)),
  };
}

/** The whole run; returns the exit code (0 done, 2 usage or no key, 3 API failure, 129/130/143 signal). */
export async function runChat(args: ChatArgs, io: Io): Promise<number> {
  const out = stdoutWriter(io);
  try {
    const options = normalizeChatOptions(flagValues(args, FLAGS) as unknown as ChatOptions);
    const env = io.env ?? process.env;
    const { chatProvider, ChatSession } = await import('../../lib/api/chat.js'); // the SDK loads for chat only
    const config = chatProvider(options, env); // no key: exit 2 before anything is asked
    const request: TurnRequest = {
      provider: options.provider,
      timeout: options.timeoutMs / 1000,
      maxRetries: options.maxRetries,
      model: options.model,
      env,
      ...(options.temperature !== null && { temperature: options.temperature }),
    };
    const session = new ChatSession(options.system ?? undefined);
    if (options.once !== null) return await once(io, out, options.once, session, request);
    return await converse(io, out, options, session, request, config.provider);
  } catch (err) {
    return reportError(io, err); // EPIPE (the reader of stdout left): 0, quietly
  } finally {
    out.release();
    await (await import('../../lib/api/http.js')).closeDispatcher();
  }
}

async function once(io: Io, out: StdoutWriter, message: string, session: ChatSession, request: TurnRequest): Promise<number> {
  return withSignals(io, async (signal) => {
    const text = message === '-' ? await readAll(io.stdin) : message;
    if (text.trim() === '') throw new UsageError(message === '-' ? '--once -: standard input held no message' : '--once: the message is empty');
    await session.send(text, { ...request, signal, onText: out.write });
    await out.write('\n');
    return 0;
  });
}

async function converse(io: Io, out: StdoutWriter, options: NormalizedChatOptions, session: ChatSession, request: TurnRequest, provider: string): Promise<number> {
  const terminal = Boolean((io.stdin as { isTTY?: boolean }).isTTY) && io.stderrIsTTY;
  const rl = createInterface({ input: io.stdin, ...(terminal && { output: io.stderr }), terminal, prompt: '> ' });
  let reply: AbortController | null = null;
  let exitCode: number | null = null;
  const end = (code: number, signal: NodeJS.Signals) => {
    exitCode ??= code;
    reply?.abort(new InterruptedError(signal));
    rl.close();
  };
  // at a terminal readline takes Ctrl-C as a key ('SIGINT' on rl); piped, it is the process's signal
  const interrupt = () => {
    if (reply && !reply.signal.aborted) reply.abort(new InterruptedError('SIGINT'));
    else end(130, 'SIGINT');
  };
  const onTerm = () => end(143, 'SIGTERM');
  const onHup = () => end(129, 'SIGHUP');
  const release = holdSignals();
  rl.on('SIGINT', interrupt);
  io.signals.on('SIGINT', interrupt);
  io.signals.on('SIGTERM', onTerm);
  io.signals.on('SIGHUP', onHup);
  const prompt = () => terminal && exitCode === null && rl.prompt();
  try {
    if (terminal) say(io, `talking to ${options.model} (${provider}): /reset starts over, /exit or Ctrl-D ends, Ctrl-C stops a reply`);
    prompt();
    for await (const line of rl) {
      const text = line.trim();
      if (text === '/exit') break;
      if (text === '/reset') {
        session.reset();
        say(io, 'conversation reset');
      } else if (text !== '') {
        reply = new AbortController();
        try {
          await session.send(line, { ...request, signal: reply.signal, onText: out.write });
          await out.write('\n');
        } catch (err) {
          if (exitCode !== null) break;
          if (reply.signal.aborted) {
            await out.write('\n');
            say(io, 'reply stopped (not kept in the conversation)');
          } else if (terminal && !isEpipe(err)) {
            await out.write('\n');
            reportError(io, err);
          } else throw err;
        } finally {
          reply = null;
        }
      }
      prompt();
    }
    return exitCode ?? 0;
  } finally {
    rl.removeListener('SIGINT', interrupt);
    io.signals.removeListener('SIGINT', interrupt);
    io.signals.removeListener('SIGTERM', onTerm);
    io.signals.removeListener('SIGHUP', onHup);
    release();
    rl.close();
  }
}

interface StdoutWriter {
  /** Resolves once the text is handed on; rejects with the write's error (EPIPE when the reader left). */
  write(text: string): Promise<void>;
  release(): void;
}

/** Pieces of a reply to stdout, each awaited: backpressure, and a failed write rejects instead of crashing. */
function stdoutWriter(io: Io): StdoutWriter {
  const quiet = () => {}; // the write's own callback carries the error
  io.stdout.on('error', quiet);
  return {
    write: (text) => new Promise<void>((resolve, reject) => void io.stdout.write(text, (err) => (err ? reject(err) : resolve()))),
    release: () => io.stdout.removeListener('error', quiet),
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
