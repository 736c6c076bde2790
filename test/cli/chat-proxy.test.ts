// HTTP_PROXY and NO_PROXY are honoured (undici's EnvHttpProxyAgent under the openai SDK): the CLI
// as a child process, a fake forward proxy and the fake OpenAI server, all on 127.0.0.1.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fixture, runCli } from '../support/cli.js';
import { startFakeOpenAI } from '../support/fake-api/openai.js';
import { startFakeProxy, startTlsFront } from '../support/fake-api/proxy.js';

/** A self-signed certificate for fbstream.test (100 years), trusted by the child through NODE_EXTRA_CA_CERTS. */
const CERT = fixture('..', 'tls', 'fbstream.test.crt');
const KEY = fixture('..', 'tls', 'fbstream.test.key');

const CLEAN = Object.fromEntries(
  ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_ORG_ID', 'OPENAI_PROJECT_ID', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'].map((k) => [k, undefined]),
);

async function setup(t: { teardown(fn: () => unknown): void }) {
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const proxy = await startFakeProxy(fake.origin);
  t.teardown(proxy.close);
  return { fake, proxy };
}

t.test('HTTP_PROXY: a host that resolves nowhere is reached through the proxy', async (t) => {
  const { fake, proxy } = await setup(t);
  // fbstream.test is a reserved name: only the proxy (which always connects to the fake) gets there
  const env = { ...CLEAN, OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://fbstream.test/v1', HTTP_PROXY: proxy.url };
  const r = await runCli(['chat', '--model', 'm', '--once', 'hi', '--max-retries', '0'], { env });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'echo (1 messages): hi\n');
  t.match(proxy.seen, [{ target: /^(fbstream\.test:80|http:\/\/fbstream\.test\/v1\/chat\/completions)$/ }]);
  t.equal(fake.chats.length, 1);
  t.equal(fake.requests[0]!.headers.host, 'fbstream.test', 'the request names the host asked for');
});

t.test('HTTPS_PROXY: an https host that resolves nowhere is reached through a tunnel', async (t) => {
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const front = await startTlsFront(fake.origin, { key: readFileSync(KEY), cert: readFileSync(CERT) });
  t.teardown(front.close);
  const proxy = await startFakeProxy(front.origin.replace('https:', 'http:'));
  t.teardown(proxy.close);
  const env = { ...CLEAN, OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'https://fbstream.test/v1', HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: CERT };
  const r = await runCli(['chat', '--model', 'm', '--once', 'hi', '--max-retries', '0'], { env });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'echo (1 messages): hi\n');
  t.same(proxy.seen, [{ method: 'CONNECT', target: 'fbstream.test:443' }]);
  t.equal(fake.chats.length, 1);
  const http = await runCli(['chat', '--model', 'm', '--once', 'hi', '--max-retries', '0'], { env: { ...env, HTTPS_PROXY: undefined, HTTP_PROXY: proxy.url } });
  t.equal(http.code, 0, `HTTP_PROXY serves https too when HTTPS_PROXY is not set: ${http.stderr}`);
  t.equal(proxy.seen.length, 2);
});

t.test('NO_PROXY: a listed host goes direct, the others through the proxy', async (t) => {
  const { fake, proxy } = await setup(t);
  const env = { ...CLEAN, OPENAI_BASE_URL: fake.baseURL, HTTP_PROXY: proxy.url };
  const direct = await runCli(['chat', '--model', 'm', '--once', 'direct', '--max-retries', '0'], { env: { ...env, NO_PROXY: 'localhost,127.0.0.1' } });
  t.equal(direct.code, 0, direct.stderr);
  t.same(proxy.seen, [], 'the proxy saw nothing');
  t.equal(fake.chats.length, 1);
  const proxied = await runCli(['chat', '--model', 'm', '--once', 'proxied', '--max-retries', '0'], { env: { ...env, NO_PROXY: 'example.com' } });
  t.equal(proxied.code, 0, proxied.stderr);
  t.equal(proxy.seen.length, 1, 'a host not listed goes through the proxy');
  t.equal(fake.chats.length, 2);
});

t.test('a proxy that is down: a clear error naming what failed, exit 3', async (t) => {
  const { proxy } = await setup(t);
  const url = proxy.url;
  await proxy.close();
  const env = { ...CLEAN, OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://fbstream.test/v1', HTTP_PROXY: url };
  const r = await runCli(['chat', '--model', 'm', '--once', 'hi', '--max-retries', '0'], { env });
  t.equal(r.code, 3);
  t.match(r.stderr, /could not reach OpenAI to get a reply from m: ECONNREFUSED/, 'the cause under undici\'s "fetch failed"');
});
