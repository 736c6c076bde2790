/**
 * A small HTTP server on 127.0.0.1 for API tests: routes, a log of every request, and faults to
 * inject (an error status, a reset connection, an answer lost after the work was done, a delay).
 * The fake providers (openai.ts, together.ts) are route tables on top of it.
 */
import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoggedRequest {
  method: string;
  /** Path without the query and without the provider's prefix (`/v1`, `/openai`). */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** When the route read the body: its size in bytes. */
  bodyBytes?: number;
  /** What the server did: the status sent, or the fault. */
  outcome?: number | 'reset' | 'lost' | 'delayed';
}

export type Fault =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** The connection is destroyed before the route runs: nothing was done. */
  | { reset: true }
  /** The route runs (the work is done), then the connection is destroyed: the answer is lost. */
  | { lose: true }
  /** The answer is held this long before the route runs (a client timeout shorter than it fires). */
  | { delayMs: number };

export interface FaultRule {
  method?: string;
  path: string | RegExp;
  /** The n-th request matching this rule from when it was added (1-based). Default: the next one. */
  nth?: number;
  /** How many matching requests get the fault (from `nth` on). Default 1. */
  times?: number;
  fault: Fault;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, ctx: RouteContext) => unknown | Promise<unknown>;
export interface RouteContext {
  params: string[];
  query: URLSearchParams;
  log: LoggedRequest;
  /** The whole body (routes that take JSON or forms). */
  body(): Promise<Buffer>;
  json<T = Record<string, unknown>>(): Promise<T>;
}
export interface Route {
  method: string;
  path: RegExp;
  handle: Handler;
}

export interface FakeServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  requests: LoggedRequest[];
  fault(rule: FaultRule): void;
  /** Requests to this method and path (a string matches the whole path). */
  count(method: string, path: string | RegExp): number;
  close(): Promise<void>;
  server: Server;
}

export async function startFakeServer(routes: Route[], options: { stripPrefix?: RegExp } = {}): Promise<FakeServer> {
  const requests: LoggedRequest[] = [];
  const faults: (FaultRule & { seen: number })[] = [];
  const matches = (p: string | RegExp, path: string) => (typeof p === 'string' ? p === path : p.test(path));
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `fake server: ${err.message}`, type: 'server_error' } });
      else res.destroy();
    });
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = options.stripPrefix ? url.pathname.replace(options.stripPrefix, '') || '/' : url.pathname;
    const log: LoggedRequest = { method: req.method ?? 'GET', path, query: url.searchParams, headers: req.headers };
    requests.push(log);
    // every rule counts every request it matches; the first rule due for this one fires
    let fault: Fault | undefined;
    for (const rule of faults) {
      if ((rule.method ?? log.method) !== log.method || !matches(rule.path, path)) continue;
      rule.seen++;
      const from = rule.nth ?? 1;
      if (fault === undefined && rule.seen >= from && rule.seen < from + (rule.times ?? 1)) fault = rule.fault;
    }
    if (fault && 'reset' in fault) {
      log.outcome = 'reset';
      req.socket.destroy();
      return;
    }
    if (fault && 'status' in fault) {
      await drain(req);
      log.outcome = fault.status;
      sendJson(res, fault.status, fault.body ?? { error: { message: `injected ${fault.status}`, type: 'server_error' } }, fault.headers);
      return;
    }
    if (fault && 'delayMs' in fault) {
      log.outcome = 'delayed';
      await new Promise((r) => setTimeout(r, fault.delayMs));
      if (req.socket.destroyed) return;
    }
    const route = routes.find((r) => r.method === log.method && r.path.test(path));
    if (!route) {
      await drain(req);
      sendJson(res, 404, { error: { message: `fake server: no route for ${log.method} ${path}`, type: 'invalid_request_error' } });
      return;
    }
    let body: Promise<Buffer> | undefined;
    const ctx: RouteContext = {
      params: (route.path.exec(path) ?? []).slice(1),
      query: url.searchParams,
      log,
      body: () => (body ??= readBody(req).then((b) => ((log.bodyBytes = b.length), b))),
      json: async <T>() => JSON.parse((await ctx.body()).toString('utf8') || '{}') as T,
    };
    if (fault && 'lose' in fault) {
      // the work is done into a response that goes nowhere, then the connection drops
      await route.handle(req, new ServerResponse(req), ctx);
      log.outcome = 'lost';
      req.socket.destroy();
      return;
    }
    await route.handle(req, res, ctx);
    log.outcome ??= res.statusCode;
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    server,
    fault: (rule) => faults.push({ ...rule, seen: 0 }),
    count: (method, p) => requests.filter((r) => r.method === method && matches(p, r.path)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    req.resume();
    req.on('end', resolve);
    req.on('error', () => resolve());
    req.on('close', () => resolve());
  });
}
