/**
 * The scheduler's side of the admin API's front thread (_front_worker.ts): starts it, answers
 * the requests it forwards with the admin apps (app.ts) of this thread, streams their bodies
 * back, and renders the job views it asks for. It keeps, in memory both threads share, a count
 * of the events folded per job (bumped by Engine.onViewChange, at fold time) and when the next
 * crowd of runs is due (Engine.shareNextAhead), so the front knows without asking whether a
 * view it kept is still true and when to hold requests back.
 *
 * @example
 * ```ts ignore
 * const front = await startFront(kron);
 * if (front) await front.listen({ kind: "socket", path }, app.fetch);
 * await front?.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { AdminHost } from "./host.ts";
import type { KronMetrics } from "./metrics.ts";
import { ViewFeed } from "./_front_feed.ts";
import {
  CTRL,
  type ForwardedRequest,
  type FrontMessage,
  type HostMessage,
  type Listen,
  newControl,
} from "./_front_wire.ts";

/** A started front thread. */
export interface Front {
  /** Opens a listener on the front whose forwarded requests `fetch` answers. */
  listen(
    listen: Listen,
    fetch: (req: Request) => Response | Promise<Response>,
  ): Promise<{ hostname?: string; port?: number }>;
  /**
   * Lets the front answer scrapes of `/metrics` that `metrics` would answer with its last body
   * (while 1,000 or more jobs changed since it was collected): sent that body, it need not wait
   * its turn on this thread.
   */
  shareMetrics(metrics: KronMetrics): void;
  /** Closes the listeners (after open responses end) and stops the thread. */
  close(): Promise<void>;
}

/** A listener the front could not open; `permission` when for want of a permission. */
export class ListenError extends Error {
  /** Whether a missing permission was the cause. */
  readonly permission: boolean;
  constructor(message: string, permission: boolean) {
    super(message);
    this.permission = permission;
  }
}

const log = getLogger(["kron", "api"]);

/** How long close() waits for the thread to close its listeners. */
const CLOSE_TIMEOUT_MS = 10_000;

/** How long the thread may take to load before this thread serves on its own instead. */
const START_TIMEOUT_MS = 10_000;
const encoder = new TextEncoder();
/** The trigger route's answer headers (Hono's `c.json`), for the front's shortcut. */
const TRIGGERED_HEADERS: [string, string][] = [["content-type", "application/json"]];

/**
 * Starts the front thread for `kron`; null when a worker cannot start here (the caller then
 * serves on this thread, as before the front existed).
 */
export async function startFront(kron: AdminHost): Promise<Front | null> {
  const url = new URL("./_front_worker.ts", import.meta.url);
  // A worker reads its modules under this process's permissions: asked, never requested (a
  // request would prompt at a terminal), for kron's own source tree.
  if (url.protocol === "file:") {
    const src = new URL("../", url);
    if (Deno.permissions.querySync({ name: "read", path: src }).state !== "granted") return null;
  }
  let worker: Worker;
  try {
    worker = new Worker(url, {
      type: "module",
      name: "kron-admin",
    });
  } catch {
    return null;
  }
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), START_TIMEOUT_MS);
    worker.onmessage = (e: MessageEvent<FrontMessage>) => {
      if (e.data.t !== "ready") return;
      clearTimeout(timer);
      resolve(true);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      clearTimeout(timer);
      resolve(false);
    };
  });
  if (!ready) {
    worker.terminate();
    return null;
  }
  return new FrontHost(kron, worker);
}

class FrontHost implements Front {
  readonly #worker: Worker;
  readonly #unshare: () => void;
  readonly #ctrl = newControl();
  readonly #ahead = new Float64Array(new SharedArrayBuffer(8));
  readonly #apps = new Map<"socket" | "tcp", (req: Request) => Response | Promise<Response>>();
  readonly #listening = new Map<
    number,
    [(v: { hostname?: string; port?: number }) => void, (e: Error) => void]
  >();
  readonly #inFlight = new Map<number, AbortController>();
  readonly #feed: ViewFeed;
  readonly #kron: AdminHost;
  #closed: (() => void) | null = null;
  #metrics: KronMetrics | null = null;
  /** The last body sent to the front per encoding (by identity). */
  readonly #sentBodies = new Map<boolean, Uint8Array | null>();
  #nextId = 1;

  constructor(kron: AdminHost, worker: Worker) {
    this.#kron = kron;
    this.#worker = worker;
    this.#ahead[0] = Infinity;
    this.#unshare = kron.engine.shareNextAhead(this.#ahead);
    worker.onmessage = (e: MessageEvent<FrontMessage>) => this.#onMessage(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      log.error("the admin API thread failed: {error}", { error: e.message });
      this.#closed?.(); // a dead thread answers no close
    };
    this.#post({ t: "init", ctrl: this.#ctrl, ahead: this.#ahead });
    this.#feed = new ViewFeed(kron, this.#ctrl, (m) => this.#post(m));
  }

  listen(
    listen: Listen,
    fetch: (req: Request) => Response | Promise<Response>,
  ): Promise<{ hostname?: string; port?: number }> {
    this.#apps.set(listen.kind, fetch);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#listening.set(id, [resolve, reject]);
      this.#post({ t: "listen", id, listen });
    });
  }

  shareMetrics(metrics: KronMetrics): void {
    if (this.#metrics !== null) return;
    this.#metrics = metrics;
    const { contentType, staleMaxMs: maxAgeMs } = metrics;
    metrics.share({
      body: (gzip, body, at) => {
        // A body collected again unchanged: only its time (not megabytes copied once more).
        if (body !== null && this.#sentBodies.get(gzip) === body) {
          this.#post({ t: "metricsAt", gzip, at });
          return;
        }
        this.#sentBodies.set(gzip, body);
        const copy = body === null ? null : body.slice(); // this thread keeps its own
        this.#post(
          { t: "metrics", gzip, body: copy, at, maxAgeMs, contentType },
          copy ? [copy.buffer] : [],
        );
      },
      withLast: (mask) => void Atomics.store(this.#ctrl, CTRL.metricsWithLast, mask),
    });
  }

  async close(): Promise<void> {
    this.#feed.close();
    this.#unshare();
    // The thread closes its listeners once their open answers end; a thread that hangs or died
    // is stopped anyway.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#closed = resolve;
      timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      this.#post({ t: "close" });
    });
    clearTimeout(timer);
    for (const c of this.#inFlight.values()) c.abort();
    this.#worker.terminate();
  }

  #post(m: HostMessage, transfer: Transferable[] = []): void {
    this.#worker.postMessage(m, transfer);
  }

  #onMessage(m: FrontMessage): void {
    switch (m.t) {
      case "listening":
      case "listenFailed": {
        const p = this.#listening.get(m.id);
        this.#listening.delete(m.id);
        if (m.t === "listening") p?.[0]({ hostname: m.hostname, port: m.port });
        else p?.[1](new ListenError(m.message, m.permission));
        return;
      }
      case "req":
        void this.#answer(m);
        return;
      case "trigger":
        void this.#trigger(m.id, m.name);
        return;
      case "abort":
        this.#inFlight.get(m.id)?.abort();
        return;
      case "metricsAnswered":
        this.#metrics?.answeredWithLast(m.gzip);
        return;
      case "closed":
        this.#closed?.();
        return;
    }
  }

  /**
   * The front's shortcut for `POST /v1/jobs/:name/trigger` (_front_trigger.ts): the route's
   * call and its answer (`202 {"runId"}`), without a `Request` and the app. A refusal goes back
   * to the front, which forwards the request: the app's answer is the one for errors.
   */
  async #trigger(id: number, name: string): Promise<void> {
    let runId: string;
    try {
      runId = await this.#kron.trigger(name);
    } catch {
      this.#post({ t: "declined", id });
      return;
    }
    const bytes = encoder.encode(JSON.stringify({ runId }));
    // What the trigger changed reaches the front's copy before its answer does.
    this.#feed.flush();
    this.#post({ t: "whole", id, status: 202, headers: TRIGGERED_HEADERS, bytes }, [bytes.buffer]);
  }

  /** Answers a forwarded request with this thread's admin app, streaming the body back. */
  async #answer(m: ForwardedRequest): Promise<void> {
    const fetch = this.#apps.get(m.app)!;
    const aborted = new AbortController();
    this.#inFlight.set(m.id, aborted);
    let streaming = false;
    try {
      const res = await fetch(
        new Request(m.url, {
          method: m.method,
          headers: m.headers,
          body: m.body,
          signal: aborted.signal,
        }),
      );
      const headers: [string, string][] = [];
      res.headers.forEach((value, key) => headers.push([key, value]));
      if (res.body === null || !res.headers.get("content-type")?.startsWith("text/event-stream")) {
        // Whole: one message instead of a head, chunks and an end.
        const bytes = res.body === null ? null : new Uint8Array(await res.arrayBuffer());
        // What the request changed reaches the front's copy before its answer does.
        this.#feed.flush();
        this.#post(
          { t: "whole", id: m.id, status: res.status, headers, bytes },
          bytes ? [bytes.buffer] : [],
        );
        return;
      }
      this.#feed.flush();
      this.#post({ t: "head", id: m.id, status: res.status, headers });
      streaming = true;
      const reader = res.body.getReader();
      // The client may have gone while the app was answering: then stop at once.
      const stop = () => void reader.cancel().catch(() => {});
      if (aborted.signal.aborted) stop();
      else aborted.signal.addEventListener("abort", stop);
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: null }));
        if (done || value === null) break;
        const bytes = value.slice();
        this.#post({ t: "chunk", id: m.id, bytes }, [bytes.buffer]);
      }
      this.#post({ t: "end", id: m.id });
    } catch (e) {
      // The app answers its own errors; this is a failure of the handover itself.
      log.error("admin request {method} {url} failed: {error}", {
        method: m.method,
        url: m.url,
        error: String(e),
      });
      if (streaming) this.#post({ t: "end", id: m.id });
      else this.#post({ t: "whole", id: m.id, status: 500, headers: [], bytes: null });
    } finally {
      this.#inFlight.delete(m.id);
    }
  }
}
