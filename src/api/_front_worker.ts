/**
 * The admin API's front thread: owns the listeners (the data dir's Unix socket, TCP), answers
 * the job reads it keeps as text (_front_texts.ts) and forwards every other request to the
 * scheduler's thread (_front.ts), streaming the answer back. HTTP parsing, routing, the joining
 * of pages and the writing of bodies happen here, so a flood of API clients no longer takes
 * turns of the thread that starts runs on time; requests arriving just before runs are due
 * wait for them here (_gate.ts), reading when from shared memory.
 *
 * Started by _front.ts (`new URL("./_front_worker.ts", import.meta.url)`; `deno compile`
 * embeds it through `--include`).
 *
 * @example
 * ```ts ignore
 * const w = new Worker(new URL("./_front_worker.ts", import.meta.url), { type: "module" });
 * w.postMessage({ t: "init", ctrl, ahead }); // then { t: "listen", … }
 * ```
 * @module
 */
/// <reference lib="deno.worker" />
import { constantTimeEqual } from "../http/mod.ts";
import { gated } from "./_gate.ts";
import {
  CTRL,
  type FrontMessage,
  headerPairs,
  type HostMessage,
  type LastMetrics,
  type Listen,
  serveListener,
} from "./_front_wire.ts";
import { acceptsGzip, metricsHeaders } from "./_metrics_answer.ts";
import { JobViews } from "./_front_views.ts";
import { emptyJsonBody, triggerTarget } from "./_front_trigger.ts";
import { lowerThreadPriority } from "./_thread_priority.ts";

/** Bodies are read up to one byte past the admin app's limit: it answers 413 past it. */
const MAX_BODY_BYTES = 64 * 1024;
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

interface Forwarded {
  resolve: (res: Response) => void;
  stream: ReadableStreamDefaultController<Uint8Array> | null;
  /** The answer's body as it streams in; null for a shortcut (answered whole). */
  body: ReadableStream<Uint8Array> | null;
}

const forwarded = new Map<number, Forwarded>();
/** Per shortcut sent (_front_trigger.ts): what to do when the scheduler's thread declines it. */
const declined = new Map<number, () => void>();
const servers: Deno.HttpServer[] = [];
let nextId = 1;
let views: JobViews | null = null;
let ahead: Float64Array<SharedArrayBuffer> | null = null;
let ctrl: Int32Array<SharedArrayBuffer> | null = null;
/** The last body of `/metrics` per encoding (gzip or not), as the scheduler's thread sent it. */
const lastMetrics = new Map<boolean, LastMetrics>();

/**
 * A scrape answered with the last body of its encoding, when the scheduler's thread would
 * answer it so (KronMetrics.body: 1,000 or more jobs changed since it was collected, or such a
 * render is under way) and that body is recent enough; null: forward it.
 */
function lastMetricsAnswer(req: Request): Response | null {
  const gzip = acceptsGzip(req.headers.get("accept-encoding") ?? undefined);
  const last = lastMetrics.get(gzip);
  const withLast = ctrl === null ? 0 : Atomics.load(ctrl, CTRL.metricsWithLast);
  if (last?.body == null || (withLast & (gzip ? 1 : 2)) === 0) return null;
  if (Date.now() - last.at > last.maxAgeMs) return null;
  // Counted there, and there the render this scrape did not wait for starts.
  post({ t: "metricsAnswered", gzip });
  return new Response(last.body, { headers: metricsHeaders(last.contentType, gzip) });
}

function post(m: FrontMessage, transfer: Transferable[] = []): void {
  self.postMessage(m, transfer);
}

/** The body of `req`, at most one byte past the limit (the app refuses it then). */
async function cappedBody(req: Request): Promise<Uint8Array<ArrayBuffer> | null> {
  if (req.body === null) return null;
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  try {
    while (size <= MAX_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.length;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function abort(id: number): void {
  const f = forwarded.get(id);
  if (!f) return;
  forwarded.delete(id);
  post({ t: "abort", id });
  // Gone before its answer came: the handler ends anyway (nobody reads this), else the
  // listener's shutdown would wait for it forever.
  f.resolve(new Response(null, { status: 499 }));
  try {
    f.stream?.close();
  } catch {
    // already closed by the client's going away
  }
}

/**
 * Sends `req` to the scheduler's thread; resolves with its answer once the head is there.
 * `read`: its body, when it was read already.
 */
async function forward(
  req: Request,
  app: "socket" | "tcp",
  read?: Uint8Array<ArrayBuffer> | null,
): Promise<Response> {
  const id = nextId++;
  const sent = read !== undefined
    ? read
    : req.method === "GET" || req.method === "HEAD"
    ? null
    : await cappedBody(req);
  return await new Promise<Response>((resolve) => {
    let stream: ReadableStreamDefaultController<Uint8Array> | null = null;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => void (stream = c),
      cancel: () => abort(id),
    });
    const f: Forwarded = { resolve, stream, body };
    forwarded.set(id, f);
    req.signal.addEventListener("abort", () => abort(id), { once: true });
    const headers = headerPairs(req.headers);
    post(
      { t: "req", id, app, method: req.method, url: req.url, headers, body: sent },
      sent ? [sent.buffer] : [],
    );
  });
}

/**
 * Asks the scheduler's thread to trigger `name` (_front_trigger.ts) and resolves with its
 * answer; when it declines, the request (its body already read) is forwarded to the app.
 */
function shortcut(
  req: Request,
  app: "socket" | "tcp",
  name: string,
  body: Uint8Array<ArrayBuffer> | null,
): Promise<Response> {
  const id = nextId++;
  return new Promise<Response>((resolve) => {
    forwarded.set(id, { resolve, stream: null, body: null });
    declined.set(id, () => resolve(forward(req, app, body)));
    post({ t: "trigger", id, name });
  });
}

/** A bearer token that the TCP app would accept (cookies and the rest: the app decides). */
function bearerOk(req: Request, token: string): boolean {
  const m = /^Bearer +([^ ]+) *$/i.exec(req.headers.get("authorization") ?? "");
  return m !== null && constantTimeEqual(m[1], token);
}

function handler(listen: Listen): (req: Request) => Response | Promise<Response> {
  const app = listen.kind;
  const token = listen.kind === "tcp" ? listen.token : null;
  const handle = async (req: Request): Promise<Response> => {
    if (req.method === "GET" && views !== null) {
      const url = new URL(req.url);
      const path = url.pathname;
      // `/healthz` is open on TCP too (as the app's auth says); the job reads want the token.
      const allowed = token === null || path === "/healthz" || bearerOk(req, token);
      if (allowed && (path.startsWith("/v1/jobs") || path === "/healthz")) {
        const res = await views.answer(url);
        if (res !== null) return res;
      }
      if (path === "/metrics" && (token === null || bearerOk(req, token))) {
        const res = lastMetricsAnswer(req);
        if (res !== null) return res;
      }
    }
    if (req.method === "POST") {
      // How the app would authenticate it: a session cookie (or none) is the app's to check.
      const auth = token === null ? "socket" : bearerOk(req, token) ? "bearer" : null;
      const name = auth === null ? null : triggerTarget(req, new URL(req.url).pathname, auth);
      if (name !== null) {
        const body = await cappedBody(req);
        return emptyJsonBody(body, req.headers.get("content-type"))
          ? await shortcut(req, app, name, body)
          : await forward(req, app, body);
      }
    }
    return await forward(req, app);
  };
  // Every request steps aside before runs are due (_gate.ts): those forwarded would take the
  // scheduler's thread, and those answered here the cores it needs (clients on the same
  // machine answered meanwhile send their next request at once). Before start, or without the
  // shared cell: nothing is due.
  const answer = gated(handle, () => (ahead === null ? Infinity : ahead[0]), Date.now);
  return async (req: Request): Promise<Response> => {
    const t0 = performance.now();
    const res = await answer(req);
    // From this handler's start to the answer's head (the gate, the copy, the scheduler's
    // thread; not the queueing before the handler, nor the body's writing): what a load test on
    // the same machine reads beside its own timings.
    res.headers.set("server-timing", `kron;dur=${(performance.now() - t0).toFixed(1)}`);
    return res;
  };
}

function listen(id: number, l: Listen): void {
  try {
    const server = serveListener(l, handler(l));
    servers.push(server);
    const addr = server.addr as Deno.NetAddr;
    post(
      l.kind === "tcp"
        ? { t: "listening", id, hostname: addr.hostname, port: addr.port }
        : { t: "listening", id },
    );
  } catch (e) {
    const permission = e instanceof Deno.errors.NotCapable ||
      e instanceof Deno.errors.PermissionDenied;
    post({ t: "listenFailed", id, message: (e as Error).message, permission });
  }
}

self.onmessage = (e: MessageEvent<HostMessage>) => {
  const m = e.data;
  switch (m.t) {
    case "init":
      ahead = m.ahead;
      ctrl = m.ctrl;
      views = new JobViews(m.ctrl);
      return;
    case "reset":
      return views?.reset(m);
    case "feed":
      return views?.feed(m);
    case "listen":
      return listen(m.id, m.listen);
    case "metrics":
      lastMetrics.set(m.gzip, m);
      return;
    case "metricsAt": {
      const last = lastMetrics.get(m.gzip);
      if (last) last.at = m.at;
      return;
    }
    case "head": {
      const f = forwarded.get(m.id);
      if (!f) return;
      const body = NULL_BODY.has(m.status) ? null : f.body;
      f.resolve(new Response(body, { status: m.status, headers: m.headers }));
      return;
    }
    case "whole": {
      const f = forwarded.get(m.id);
      forwarded.delete(m.id);
      declined.delete(m.id);
      if (!f) return;
      const body = NULL_BODY.has(m.status) ? null : m.bytes;
      f.resolve(new Response(body, { status: m.status, headers: m.headers }));
      return;
    }
    case "declined": {
      const retry = declined.get(m.id);
      declined.delete(m.id);
      forwarded.delete(m.id);
      retry?.();
      return;
    }
    case "chunk":
      forwarded.get(m.id)?.stream?.enqueue(m.bytes);
      return;
    case "end": {
      const f = forwarded.get(m.id);
      forwarded.delete(m.id);
      f?.stream?.close();
      return;
    }
    case "close":
      void Promise.all(servers.map((s) => s.shutdown().catch(() => {}))).then(() =>
        post({ t: "closed" })
      );
      return;
  }
};

lowerThreadPriority();
post({ t: "ready" });
