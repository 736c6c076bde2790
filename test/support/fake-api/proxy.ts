/**
 * A forward HTTP proxy on 127.0.0.1 for proxy tests: it takes CONNECT tunnels (what undici's
 * ProxyAgent sends, for http targets too) and absolute-form requests (`GET http://host/path`),
 * records the target asked for, and always connects to `upstream` (a fake server on 127.0.0.1):
 * the name asked for is never resolved, so a request reaches the fake only through the proxy.
 * {@link startTlsFront} puts TLS in front of a fake server, for https targets through a tunnel.
 */
import { createServer, request, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

export interface ProxiedRequest {
  /** `CONNECT`, or the method of an absolute-form request. */
  method: string;
  /** `host:port` asked for (CONNECT), or the absolute URL. */
  target: string;
}

export interface FakeProxy {
  /** `http://127.0.0.1:PORT`, for HTTP_PROXY / HTTPS_PROXY. */
  url: string;
  seen: ProxiedRequest[];
  close(): Promise<void>;
}

/** `upstream`: the origin every request goes to, `http://127.0.0.1:PORT`. */
export async function startFakeProxy(upstream: string): Promise<FakeProxy> {
  const { hostname, port } = new URL(upstream);
  const seen: ProxiedRequest[] = [];
  const tunnels = new Set<Socket>();
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? 'GET', target: req.url ?? '' });
    const url = new URL(req.url ?? '/', 'http://invalid');
    const out = request({ host: hostname, port, method: req.method, path: url.pathname + url.search, headers: req.headers }, (answer: IncomingMessage) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push({ method: 'CONNECT', target: req.url ?? '' });
    const target = connect(Number(port), hostname, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) target.write(head);
      target.pipe(client);
      client.pipe(target);
    });
    for (const s of [client, target]) {
      tunnels.add(s);
      s.on('error', () => {
        client.destroy();
        target.destroy();
      });
      s.on('close', () => tunnels.delete(s));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of tunnels) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TLS terminator on 127.0.0.1 in front of `upstream` (http): an https origin for proxy tests. */
export async function startTlsFront(upstream: string, tls: { key: Buffer; cert: Buffer }): Promise<{ origin: string; close(): Promise<void> }> {
  const { hostname, port } = new URL(upstream);
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createTlsServer(tls, (secure) => {
    const plain = connect(Number(port), hostname);
    track(secure);
    track(plain);
    secure.pipe(plain).pipe(secure);
    plain.on('close', () => secure.destroy());
    secure.on('close', () => plain.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
