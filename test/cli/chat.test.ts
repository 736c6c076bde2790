// `fbstream chat` as a child process, through the real openai SDK against the fake OpenAI server:
// --once, a piped conversation kept across lines, /reset and /exit, each provider, keys, retries,
// a broken stream, Ctrl-C during a reply and at the prompt.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { CLI_PATH, cliEnv, runCli, spawnCli, collect, looksLikeStackTrace, waitFor } from '../support/cli.js';
import { startFakeOpenAI, type FakeOpenAIOptions } from '../support/fake-api/openai.js';

/** No key, endpoint or proxy from the environment the tests run in. */
const CLEAN = Object.fromEntries(
  ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_ORG_ID', 'OPENAI_PROJECT_ID', 'AZURE_OPENAI_ENDPOINT', 'AZURE_OPENAI_API_KEY', 'OPENAI_API_VERSION', 'TOGETHER_API_KEY', 'TOGETHER_BASE_URL',
    'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'].map((k) => [k, undefined]),
);

async function fakeOpenAI(t: { teardown(fn: () => unknown): void }, options: FakeOpenAIOptions = {}) {
  const fake = await startFakeOpenAI(options);
  t.teardown(fake.close);
  return { fake, env: { ...CLEAN, OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL } };
}

t.test('--once prints the streamed reply and exits 0', async (t) => {
  const { fake, env } = await fakeOpenAI(t);
  const r = await runCli(['chat', '--model', 'ft:gpt-4.1-mini:me::abc', '--once', 'hello there'], { env });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'echo (1 messages): hello there\n');
  t.equal(r.stderr, '');
  t.match(fake.chats, [{ model: 'ft:gpt-4.1-mini:me::abc', stream: true }]);
});

t.test('--system opens the conversation; --once - reads the message from stdin', async (t) => {
  const { fake, env } = await fakeOpenAI(t);
  const r = await runCli(['chat', '--model', 'm', '--system', 'You are Ada.', '--once', '-'], { env, stdin: 'a question\non two lines\n' });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'echo (2 messages): a question\non two lines\n\n');
  t.same(fake.chats[0]!.messages, [{ role: 'system', content: 'You are Ada.' }, { role: 'user', content: 'a question\non two lines\n' }]);
  const empty = await runCli(['chat', '--model', 'm', '--once', '-'], { env, stdin: '  \n' });
  t.equal(empty.code, 2);
  t.match(empty.stderr, /standard input held no message/);
});

t.test('piped lines are a conversation: kept across turns, /reset starts over, /exit ends', async (t) => {
  const { fake, env } = await fakeOpenAI(t);
  const r = await runCli(['chat', '--model', 'm', '--system', 'Be brief.'], { env, stdin: 'one\ntwo\n\n/reset\nthree\n/exit\nfour\n' });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'echo (2 messages): one\necho (4 messages): two\necho (2 messages): three\n');
  t.match(r.stderr, /conversation reset/);
  t.equal(fake.chats.length, 3, 'nothing after /exit, nothing for an empty line');
  t.same((fake.chats[1]!.messages as { content: string }[]).map((m) => m.content), ['Be brief.', 'one', 'echo (2 messages): one', 'two']);
  const eof = await runCli(['chat', '--model', 'm'], { env, stdin: 'last line without a newline' });
  t.equal(eof.code, 0, eof.stderr);
  t.equal(eof.stdout, 'echo (1 messages): last line without a newline\n');
});

t.test('azure: the model is the deployment, the key goes as api-key', async (t) => {
  const { fake } = await fakeOpenAI(t, { apiKey: 'az-key' });
  const env = { ...CLEAN, AZURE_OPENAI_ENDPOINT: fake.endpoint, AZURE_OPENAI_API_KEY: 'az-key' };
  const r = await runCli(['chat', '--provider', 'azure', '--model', 'ada-chat', '--once', 'hi'], { env });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'echo (1 messages): hi\n');
  t.equal(fake.requests[0]!.path, '/deployments/ada-chat/chat/completions');
  t.ok(fake.requests[0]!.query.get('api-version'));
  t.equal(fake.requests[0]!.headers['api-key'], 'az-key');
});

t.test('together: TOGETHER_BASE_URL and its key', async (t) => {
  const { fake } = await fakeOpenAI(t, { apiKey: 'tg-key' });
  const r = await runCli(['chat', '--provider', 'together', '--model', 'me/Meta-Llama-3.1-8B-Instruct-Reference-ada', '--once', 'hi'], { env: { ...CLEAN, TOGETHER_API_KEY: 'tg-key', TOGETHER_BASE_URL: fake.baseURL } });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'echo (1 messages): hi\n');
  t.equal(fake.requests[0]!.headers.authorization, 'Bearer tg-key');
});

t.test('keys: none needed for a server on this machine; a remote one without a key exits 2 naming the variable', async (t) => {
  const { fake } = await fakeOpenAI(t);
  const local = await runCli(['chat', '--model', 'llama3.2', '--once', 'hi'], { env: { ...CLEAN, OPENAI_BASE_URL: fake.baseURL } });
  t.equal(local.code, 0, local.stderr);
  t.equal(local.stdout, 'echo (1 messages): hi\n');
  for (const env of [{ ...CLEAN, OPENAI_BASE_URL: 'http://fbstream.test/v1' }, CLEAN]) {
    const r = await runCli(['chat', '--model', 'm', '--once', 'hi'], { env });
    t.equal(r.code, 2);
    t.match(r.stderr, /no API key for the openai provider: set OPENAI_API_KEY/);
  }
  const together = await runCli(['chat', '--provider', 'together', '--model', 'm'], { env: CLEAN });
  t.equal(together.code, 2, 'interactive too: said before the first prompt');
  t.match(together.stderr, /TOGETHER_API_KEY/);
  const noModel = await runCli(['chat', '--once', 'hi'], { env: { ...CLEAN, OPENAI_BASE_URL: fake.baseURL } });
  t.equal(noModel.code, 2);
  t.match(noModel.stderr, /--model: is required/);
  t.equal(fake.chats.length, 1);
});

t.test('401: exit 3 after one request, with a plain message', async (t) => {
  const { fake, env } = await fakeOpenAI(t, { apiKey: 'right' });
  const r = await runCli(['chat', '--model', 'm', '--once', 'hi', '--max-retries', '3'], { env: { ...env, OPENAI_API_KEY: 'wrong' } });
  t.equal(r.code, 3);
  t.match(r.stderr, /OpenAI answered 401 to get a reply from m: Incorrect API key provided\. \(invalid_api_key\): check the API key/);
  t.notOk(looksLikeStackTrace(r.stderr));
  t.equal(fake.count('POST', '/chat/completions'), 1);
});

t.test('a 500 is retried by the SDK, then the reply comes', async (t) => {
  const { fake, env } = await fakeOpenAI(t);
  fake.fault({ path: '/chat/completions', fault: { status: 500 } });
  const r = await runCli(['chat', '--model', 'm', '--once', 'hi'], { env });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'echo (1 messages): hi\n');
  t.same(fake.requests.map((q) => q.outcome), [500, 200]);
});

t.test('a connection reset mid-stream: a clear error, exit 3, no hang', async (t) => {
  const { fake, env } = await fakeOpenAI(t, { chatStreamFault: { afterPieces: 2, fault: 'reset' } });
  const r = await runCli(['chat', '--model', 'm', '--once', 'a message long enough'], { env, timeoutMs: 10_000 });
  t.notOk(r.timedOut);
  t.equal(r.code, 3);
  t.match(r.stderr, /the connection to OpenAI broke while streaming the reply of m \(\d+ characters in\)/);
  t.notOk(looksLikeStackTrace(r.stderr));
  t.equal(fake.count('POST', '/chat/completions'), 1);
  const piped = await runCli(['chat', '--model', 'm'], { env, stdin: 'a message long enough\nanother\n', timeoutMs: 10_000 });
  t.equal(piped.code, 3, 'a piped conversation ends with the error');
});

t.test('Ctrl-C during a reply stops that reply, not the session; Ctrl-C at the prompt exits 130', async (t) => {
  const options: FakeOpenAIOptions = { chatStreamFault: { afterPieces: 1, fault: 'stall' } };
  const { fake, env } = await fakeOpenAI(t, options);
  const child = spawnCli(['chat', '--model', 'm'], { env });
  const done = collect(child, 15_000);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin!.write('a message long enough\n');
  await waitFor(() => out.length > 0, 5_000, 'the first piece of the reply');
  child.kill('SIGINT');
  await waitFor(() => err.includes('reply stopped'), 5_000, 'the reply to stop');
  options.chatStreamFault = undefined;
  child.stdin!.write('two\n');
  await waitFor(() => out.includes('echo (1 messages): two\n'), 5_000, 'the next reply, without the stopped turn');
  child.kill('SIGINT');
  const r = await done;
  t.equal(r.code, 130, r.stderr);
  t.equal(fake.chats.length, 2);
  t.notOk(looksLikeStackTrace(r.stderr));
});

t.test('--once: Ctrl-C during the reply exits 130', async (t) => {
  const { env } = await fakeOpenAI(t, { chatStreamFault: { afterPieces: 1, fault: 'stall' } });
  const child = spawnCli(['chat', '--model', 'm', '--once', 'a message long enough'], { env });
  const done = collect(child, 15_000);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.length > 0, 5_000, 'the first piece of the reply');
  child.kill('SIGINT');
  const r = await done;
  t.equal(r.code, 130);
  t.notOk(r.timedOut);
});

t.test('the reader of stdout leaving is no error: exit 0', async (t) => {
  const { env } = await fakeOpenAI(t);
  const child = spawnCli(['chat', '--model', 'm', '--once', 'hi'], { env });
  child.stdout!.destroy();
  const r = await collect(child, 15_000);
  t.equal(r.code, 0, r.stderr);
  t.notOk(looksLikeStackTrace(r.stderr));
});

/** util-linux `script` gives the CLI a terminal (a pty) for stdin, stdout and stderr; what it shows comes back on stdout. */
const HAS_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
function spawnInTerminal(args: string[], env: Record<string, string | undefined>) {
  const quoted = [process.execPath, CLI_PATH, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', `exec ${quoted}`, '/dev/null'], { env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  child.stdout!.on('data', (d: Buffer) => (screen += d.toString()));
  return { child, done: collect(child, 15_000), screen: () => screen };
}

t.test('at a terminal: a prompt, Ctrl-C (a key to readline) stops a reply, Ctrl-C at the prompt exits 130, Ctrl-D exits 0', { skip: HAS_SCRIPT ? false : 'no util-linux script for a pty' }, async (t) => {
  const options: FakeOpenAIOptions = { chatStreamFault: { afterPieces: 1, fault: 'stall' } };
  const { fake, env } = await fakeOpenAI(t, options);
  const tty = spawnInTerminal(['chat', '--model', 'm'], env);
  await waitFor(() => tty.screen().includes('> '), 5_000, 'the prompt');
  t.match(tty.screen(), /talking to m \(openai\): \/reset starts over, \/exit or Ctrl-D ends, Ctrl-C stops a reply/);
  tty.child.stdin!.write('a message long enough\r');
  await waitFor(() => tty.screen().includes('echo (1'), 5_000, 'the first piece of the reply');
  tty.child.stdin!.write('\x03');
  await waitFor(() => tty.screen().includes('reply stopped'), 5_000, 'the reply to stop');
  options.chatStreamFault = undefined;
  tty.child.stdin!.write('two\r');
  await waitFor(() => tty.screen().includes('echo (1 messages): two'), 5_000, 'the next reply');
  tty.child.stdin!.write('\x03');
  t.equal((await tty.done).code, 130);
  t.equal(fake.chats.length, 2);

  const eof = spawnInTerminal(['chat', '--model', 'm'], env);
  await waitFor(() => eof.screen().includes('> '), 5_000, 'the prompt');
  eof.child.stdin!.write('\x04');
  t.equal((await eof.done).code, 0, 'Ctrl-D at the prompt ends the chat');
});
