// chat() and ChatSession through the real openai SDK against the fake OpenAI server: streaming,
// the conversation kept, each provider's addressing, keys, retries and broken streams.
import t from 'tap';
import { chat, ChatSession } from '../../lib/api/chat.js';
import { closeDispatcher } from '../../lib/api/http.js';
import { startFakeOpenAI, type FakeOpenAIOptions } from '../support/fake-api/openai.js';

t.teardown(closeDispatcher);

async function fakeOpenAI(t: { teardown(fn: () => unknown): void }, options: FakeOpenAIOptions = {}) {
  const fake = await startFakeOpenAI(options);
  t.teardown(fake.close);
  return fake;
}

const ask = (text: string) => [{ role: 'user' as const, content: text }];

t.test('streams the reply piece by piece and resolves with all of it', async (t) => {
  const fake = await fakeOpenAI(t);
  const pieces: string[] = [];
  const reply = await chat({ model: 'ft:gpt-4.1-mini:me::abc', messages: ask('hello there'), env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL }, onText: (p) => void pieces.push(p) });
  t.equal(reply, 'echo (1 messages): hello there');
  t.ok(pieces.length > 1, 'more than one piece');
  t.equal(pieces.join(''), reply);
  t.match(fake.chats[0], { model: 'ft:gpt-4.1-mini:me::abc', stream: true, messages: [{ role: 'user', content: 'hello there' }] });
  t.equal(fake.requests[0]!.headers.authorization, 'Bearer k');
});

t.test('system and temperature are sent', async (t) => {
  const fake = await fakeOpenAI(t);
  await chat({ model: 'm', system: 'Be brief.', temperature: 0.2, messages: ask('hi'), env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL } });
  t.match(fake.chats[0], { temperature: 0.2, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] });
});

t.test('a session keeps the conversation; reset forgets the turns, not the system message', async (t) => {
  const fake = await fakeOpenAI(t);
  const env = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL };
  const session = new ChatSession('You are Ada.');
  t.equal(await session.send('one', { model: 'm', env }), 'echo (2 messages): one');
  t.equal(await session.send('two', { model: 'm', env }), 'echo (4 messages): two');
  t.same(session.messages.map((m) => m.role), ['system', 'user', 'assistant', 'user', 'assistant']);
  session.reset();
  t.equal(await session.send('three', { model: 'm', env }), 'echo (2 messages): three');
});

t.test('a failed turn is not kept: the same message can be sent again', async (t) => {
  const fake = await fakeOpenAI(t);
  const env = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL };
  const session = new ChatSession();
  fake.fault({ path: '/chat/completions', fault: { status: 400, body: { error: { message: 'bad', type: 'invalid_request_error' } } } });
  await t.rejects(session.send('one', { model: 'm', env }), { code: 'FBS_API', status: 400 });
  t.same(session.messages, []);
  t.equal(await session.send('one', { model: 'm', env }), 'echo (1 messages): one');
});

t.test('azure: the model is the deployment, the key goes as api-key', async (t) => {
  const fake = await fakeOpenAI(t, { apiKey: 'az-key' });
  const reply = await chat({ provider: 'azure', model: 'my-deployment', messages: ask('hi'), env: { AZURE_OPENAI_ENDPOINT: fake.endpoint, AZURE_OPENAI_API_KEY: 'az-key', OPENAI_API_VERSION: '2024-10-21' } });
  t.equal(reply, 'echo (1 messages): hi');
  const req = fake.requests[0]!;
  t.equal(req.path, '/deployments/my-deployment/chat/completions');
  t.equal(req.query.get('api-version'), '2024-10-21');
  t.equal(req.headers['api-key'], 'az-key');
});

t.test('together: its base URL and key, through the OpenAI client', async (t) => {
  const fake = await fakeOpenAI(t, { apiKey: 'tg-key' });
  const reply = await chat({ provider: 'together', model: 'me/Meta-Llama-3.1-8B-Instruct-Reference-ada-1234', messages: ask('hi'), env: { TOGETHER_API_KEY: 'tg-key', TOGETHER_BASE_URL: fake.baseURL } });
  t.equal(reply, 'echo (1 messages): hi');
  t.equal(fake.requests[0]!.headers.authorization, 'Bearer tg-key');
});

t.test('a local server needs no key; a remote one does (exit 2, naming the variable)', async (t) => {
  const fake = await fakeOpenAI(t);
  t.equal(await chat({ model: 'llama3.2', messages: ask('hi'), env: { OPENAI_BASE_URL: fake.baseURL } }), 'echo (1 messages): hi');
  await t.rejects(chat({ model: 'm', messages: ask('hi'), env: { OPENAI_BASE_URL: 'https://api.example.com/v1' } }), { code: 'FBS_NO_API_KEY', message: /OPENAI_API_KEY/ });
  await t.rejects(chat({ provider: 'together', model: 'm', messages: ask('hi'), env: {} }), { code: 'FBS_NO_API_KEY', message: /TOGETHER_API_KEY/ });
  t.equal(fake.chats.length, 1);
});

t.test('401: one request, a clear error', async (t) => {
  const fake = await fakeOpenAI(t, { apiKey: 'right' });
  await t.rejects(chat({ model: 'm', messages: ask('hi'), maxRetries: 3, env: { OPENAI_API_KEY: 'wrong', OPENAI_BASE_URL: fake.baseURL } }), { code: 'FBS_API', status: 401, message: /401 to get a reply from m: Incorrect API key.*check the API key/ });
  t.equal(fake.count('POST', '/chat/completions'), 1);
});

t.test('a 500 before the reply is retried by the SDK', async (t) => {
  const fake = await fakeOpenAI(t);
  fake.fault({ path: '/chat/completions', fault: { status: 500, headers: { 'retry-after-ms': '1' } } });
  t.equal(await chat({ model: 'm', messages: ask('hi'), env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL } }), 'echo (1 messages): hi');
  t.same(fake.requests.map((r) => r.outcome), [500, 200]);
});

t.test('a stream broken halfway rejects, without passing part of a reply off as the whole', async (t) => {
  for (const fault of ['reset', 'end'] as const) {
    const fake = await fakeOpenAI(t, { chatStreamFault: { afterPieces: 2, fault } });
    let shown = '';
    await t.rejects(
      chat({ model: 'm', messages: ask('a long enough message'), env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL }, onText: (p) => void (shown += p) }),
      { code: 'FBS_API', message: fault === 'reset' ? /connection to OpenAI broke while streaming the reply of m/ : /ended before the model finished/ },
      fault,
    );
    t.equal(fake.count('POST', '/chat/completions'), 1, `${fault}: not sent again (part of it was shown)`);
  }
});

t.test('an error sent in the stream is said as such; an error of onText is passed on as it is', async (t) => {
  const fake = await fakeOpenAI(t, { chatStreamFault: { afterPieces: 2, fault: 'error' } });
  const env = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL };
  await t.rejects(chat({ model: 'm', messages: ask('a long enough message'), env }), { code: 'FBS_API', message: /OpenAI sent an error while streaming the reply of m \(14 characters in\): .*The server had an error/ });
  const own = new TypeError('the reader went away');
  await t.rejects(chat({ model: 'm', messages: ask('a long enough message'), env, onText: () => { throw own; } }), own);
});

t.test('a stream that stops sending fails after the timeout', async (t) => {
  const fake = await fakeOpenAI(t, { chatStreamFault: { afterPieces: 1, fault: 'stall' } });
  await t.rejects(chat({ model: 'm', timeout: 1, messages: ask('a long enough message'), env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL } }), { code: 'FBS_API', message: /sent nothing for 1 s while streaming/ });
});

t.test('an abort stops the reply with the abort reason', async (t) => {
  const fake = await fakeOpenAI(t, { chatStreamFault: { afterPieces: 1, fault: 'stall' } });
  const abort = new AbortController();
  const reason = new Error('stopped by the user');
  await t.rejects(chat({ model: 'm', messages: ask('a long enough message'), signal: abort.signal, env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL }, onText: () => abort.abort(reason) }), reason);
  await t.rejects(chat({ model: 'm', messages: ask('hi'), signal: abort.signal, env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL } }), reason, 'already aborted: no request');
  t.equal(fake.count('POST', '/chat/completions'), 1);
});
