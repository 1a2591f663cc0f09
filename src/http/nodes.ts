/**
 * `NodeSet`: the nodes of a kron cluster as a client sees them. Requests are spread round-robin
 * over the nodes that answer, preferring the quick ones (a node answering slower than
 * max(250 ms, 4 × the quickest) is passed over for 10 s while another is live); a node that
 * refuses or resets a connection, answers 5xx or does not answer in time is marked lost (one
 * WARN line) and gets no requests while another node is live; it is probed with
 * `GET /healthz` (after 250 ms, doubling to 5 s) and used again once that answers 200 (one WARN
 * line). A request that fails on one node moves on to the next at once, so a client of a
 * cluster with a live node never waits for a dead one.
 *
 * A call that is not idempotent by nature (`trigger`, a job's `PUT`) moves on only when the
 * request never reached a node (the connection was refused or could not be made) — unless it
 * carries an `Idempotency-Key`, which cluster nodes honour (the clients send one, and mark the
 * call idempotent): a reset or a 5xx may come after the node acted.
 *
 * @example
 * ```ts
 * import { NodeSet } from "./nodes.ts";
 * const nodes = new NodeSet("http://node-1:7380,http://node-2:7380");
 * const res = await nodes.fetch("/healthz", { method: "GET" }, { idempotent: true });
 * console.log(res.status);
 * ```
 * @module
 */
import { KronError } from "../errors.ts";

/** Where a {@link NodeSet} says a node was lost or regained (default: a WARN line on stderr). */
export type NodeWarn = (message: string) => void;

// No logger import: `kron status` loads this module and must stay light (tests/cli/startup_test.ts).
const stderrWarn: NodeWarn = (message) => console.error(`WARN  ${message}`);

/**
 * The node URLs of `urls`: a list, or one string with comma-separated URLs (trailing slashes
 * dropped, duplicates removed). Throws `invalid_option` on an empty list or a non-http(s) URL.
 *
 * @example
 * ```ts
 * import { parseNodeUrls } from "./nodes.ts";
 * parseNodeUrls("http://a:7380/, http://b:7380"); // ["http://a:7380", "http://b:7380"]
 * ```
 */
export function parseNodeUrls(urls: string | readonly string[]): string[] {
  const list = (typeof urls === "string" ? [urls] : [...urls])
    .flatMap((u) => u.split(","))
    .map((u) => u.trim().replace(/\/+$/, ""))
    .filter((u) => u !== "");
  if (list.length === 0) throw new KronError("invalid_option", "no node URL given");
  for (const u of list) {
    if (!/^https?:\/\/[^/]/.test(u)) {
      throw new KronError("invalid_option", `node URL "${u}" must start with http:// or https://`);
    }
  }
  return [...new Set(list)];
}

/**
 * True when a fetch error shows the request never reached a server (connection refused, no
 * route, name not resolved): only then may a non-idempotent call go to another node.
 *
 * @example
 * ```ts
 * import { neverReached } from "./nodes.ts";
 * neverReached(new TypeError("tcp connect error: Connection refused (os error 111)")); // true
 * ```
 */
export function neverReached(e: unknown): boolean {
  const text = e instanceof Error ? `${e.message} ${String(e.cause ?? "")}` : String(e);
  return /connection refused|tcp connect error|dns error|failed to lookup|no route to host|network is unreachable|\(Connect\)/i
    .test(text);
}

interface NodeState {
  url: string;
  /** Moving average of its answer time (ms) to requests that do not long-poll. */
  ms: number;
  msAt: number;
  /** When each of its requests still unanswered was sent (performance.now(), oldest first). */
  sent: number[];
  down: boolean;
  failures: number;
  retryAt: number;
  probing: boolean;
}

/**
 * Answer times (ms) below this never make a node slow (see {@link NodeSet.pick}); a request
 * unanswered this long may be a slow node's.
 *
 * @example
 * ```ts
 * import { SLOW_MS } from "./nodes.ts";
 * SLOW_MS; // 250
 * ```
 */
export const SLOW_MS = 250;
/** How long a node's measured answer time holds (ms) before it is tried again. */
const SLOW_FOR_MS = 10_000;

/** When a lost node is probed again: 250 ms doubling to 5 s. */
const skipMs = (failures: number) => Math.min(5000, 250 * 2 ** Math.min(failures - 1, 5));

/**
 * Options of one {@link NodeSet.fetch}.
 *
 * @example
 * ```ts
 * import type { NodeFetchOptions } from "./nodes.ts";
 * const o: NodeFetchOptions = { idempotent: false };
 * ```
 */
export interface NodeFetchOptions {
  /** May the request be sent again to another node after it may have reached one? */
  idempotent: boolean;
  /** Gives up on one node after this long (a blackholed link) and moves on; default none. */
  timeoutMs?: number;
}

/**
 * The nodes of a cluster (see the module doc).
 *
 * @example
 * ```ts
 * import { NodeSet } from "./nodes.ts";
 * const nodes = new NodeSet(["http://node-1:7380", "http://node-2:7380"]);
 * nodes.pick(); // "http://node-1:7380"
 * ```
 */
export class NodeSet {
  readonly #nodes: NodeState[];
  readonly #warn: NodeWarn;
  #next = 0;

  /** Nodes from a URL, a comma-separated list, or a list (see {@link parseNodeUrls}). */
  constructor(urls: string | readonly string[], warn: NodeWarn = stderrWarn) {
    this.#warn = warn;
    this.#nodes = parseNodeUrls(urls).map((url) => ({
      url,
      ms: 0,
      msAt: 0,
      sent: [],
      down: false,
      failures: 0,
      retryAt: 0,
      probing: false,
    }));
  }

  /** Every node's URL. */
  get urls(): string[] {
    return this.#nodes.map((n) => n.url);
  }

  /** Nodes not marked lost. */
  get live(): number {
    return this.#nodes.filter((n) => !n.down).length;
  }

  /**
   * The next node to use: round-robin over the live ones; when all are lost, the one due
   * soonest. A lost node gets no requests while another node is live: it is probed with
   * `GET /healthz` until it answers 200, so a node that hangs (its database cut off) never
   * holds up a heartbeat or an outcome twice.
   */
  pick(): string {
    // A live node answering far slower than the quickest (a slow database link: it holds the
    // rows it writes locked for as long) is passed over while a quick one is live.
    // A measure holds for SLOW_FOR_MS: then the node is tried again. A request it has held
    // longer than its measure is one too: the slow answer need not come first.
    const now = Date.now();
    const mono = performance.now();
    const ms = (n: NodeState) =>
      Math.max(now - n.msAt < SLOW_FOR_MS ? n.ms : 0, n.sent.length > 0 ? mono - n.sent[0] : 0);
    let quickest = Infinity;
    for (const n of this.#nodes) if (!n.down) quickest = Math.min(quickest, ms(n));
    const slow = Math.max(SLOW_MS, 4 * quickest);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < this.#nodes.length; i++) {
        const n = this.#nodes[(this.#next + i) % this.#nodes.length];
        if (!n.down && (pass === 1 || ms(n) <= slow)) {
          this.#next = (this.#next + i + 1) % this.#nodes.length;
          return n.url;
        }
      }
    }
    return this.#nodes.reduce((a, b) => (b.retryAt < a.retryAt ? b : a)).url;
  }

  /**
   * The next live node not in `busy` (round-robin), for a request that should go to a node of
   * its own (a worker's long-poll claims: one per node); when every node is lost, the one due
   * soonest if it is not busy; null when none is free.
   */
  pickExcept(busy: ReadonlySet<string>): string | null {
    for (let i = 0; i < this.#nodes.length; i++) {
      const n = this.#nodes[(this.#next + i) % this.#nodes.length];
      if (!n.down && !busy.has(n.url)) {
        this.#next = (this.#next + i + 1) % this.#nodes.length;
        return n.url;
      }
    }
    if (this.live > 0) return null;
    const soonest = this.#nodes.reduce((a, b) => (b.retryAt < a.retryAt ? b : a));
    return busy.has(soonest.url) ? null : soonest.url;
  }

  /**
   * Sends `path` to the node at `url` only: an answer below 500 marks it answering; a 5xx,
   * a failure or no answer within `timeoutMs` marks it lost (and throws, or returns the 5xx).
   */
  async fetchFrom(
    url: string,
    path: string,
    init: RequestInit,
    timeoutMs?: number,
  ): Promise<Response> {
    const timeout = timeoutMs ? AbortSignal.timeout(timeoutMs) : null;
    const signal = timeout
      ? (init.signal ? AbortSignal.any([init.signal, timeout]) : timeout)
      : init.signal;
    try {
      const res = await fetch(url + path, { ...init, signal });
      if (res.status < 500) this.answered(url);
      else this.lost(url, `HTTP ${res.status}`);
      return res;
    } catch (e) {
      if (!init.signal?.aborted) {
        this.lost(
          url,
          timeout?.aborted
            ? `no answer in ${timeoutMs} ms`
            : e instanceof Error
            ? e.message
            : String(e),
        );
      }
      throw e;
    }
  }

  #probe(n: NodeState): void {
    if (n.probing) return;
    n.probing = true;
    const timer = setTimeout(async () => {
      let ok = false;
      try {
        const res = await fetch(n.url + "/healthz", { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        ok = res.status === 200;
      } catch {
        // still lost
      }
      n.probing = false;
      if (!n.down) return;
      if (ok) this.answered(n.url);
      else this.lost(n.url, "health probe failed");
    }, Math.max(0, n.retryAt - Date.now()));
    // A probe must not keep a client's process alive.
    Deno.unrefTimer(timer);
  }

  /** Marks `url` lost after a failure (one WARN line when it was live). */
  lost(url: string, why: string): void {
    const n = this.#nodes.find((x) => x.url === url);
    if (!n) return;
    n.failures++;
    n.retryAt = Date.now() + skipMs(n.failures);
    if (!n.down) {
      n.down = true;
      const others = this.#nodes.filter((x) => !x.down).length;
      this.#warn(`node ${url} lost (${why}); using the ${others} other node(s)`);
    }
    this.#probe(n);
  }

  /** Marks `url` answering (one WARN line when it was lost). */
  answered(url: string): void {
    const n = this.#nodes.find((x) => x.url === url);
    if (!n) return;
    n.failures = 0;
    if (n.down) {
      n.down = false;
      this.#warn(`node ${url} regained`);
    }
  }

  /**
   * Sends `path` to one node after another until one answers below 500 (that answer is
   * returned, 4xx included). A node that fails is marked lost. Throws the last failure: the
   * error of fetch, or a `Response` with status ≥ 500 is returned when every node answered so.
   */
  async fetch(path: string, init: RequestInit, options: NodeFetchOptions): Promise<Response> {
    let last: unknown = null;
    const tried = new Set<string>();
    while (tried.size < this.#nodes.length) {
      const url = this.#pickUntried(tried);
      tried.add(url);
      const timeout = options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : null;
      try {
        const signal = timeout
          ? (init.signal ? AbortSignal.any([init.signal, timeout]) : timeout)
          : init.signal;
        const started = performance.now();
        const res = await this.#held(url, () => fetch(url + path, { ...init, signal }));
        this.#timed(url, performance.now() - started);
        if (res.status < 500) {
          this.answered(url);
          return res;
        }
        this.lost(url, `HTTP ${res.status}`);
        if (!options.idempotent || tried.size === this.#nodes.length) return res;
        await res.body?.cancel();
      } catch (e) {
        if (init.signal?.aborted) throw e;
        if (timeout?.aborted) this.#timed(url, options.timeoutMs!);
        const why = timeout?.aborted
          ? `no answer in ${options.timeoutMs} ms`
          : e instanceof Error
          ? e.message
          : String(e);
        this.lost(url, why);
        last = e;
        if (!options.idempotent && !neverReached(e)) throw e;
      }
    }
    throw last;
  }

  /** Runs `send`, counting it as a request `url` holds until it settles (see pick). */
  async #held<T>(url: string, send: () => Promise<T>): Promise<T> {
    const sent = this.#nodes.find((x) => x.url === url)?.sent;
    const at = performance.now();
    sent?.push(at);
    try {
      return await send();
    } finally {
      sent?.splice(sent.indexOf(at), 1);
    }
  }

  /** Folds one answer time into the node's moving average. */
  #timed(url: string, ms: number): void {
    const n = this.#nodes.find((x) => x.url === url);
    if (!n) return;
    n.ms = n.ms === 0 || Date.now() - n.msAt >= SLOW_FOR_MS ? ms : 0.7 * n.ms + 0.3 * ms;
    n.msAt = Date.now();
  }

  #pickUntried(tried: Set<string>): string {
    for (let i = 0; i < this.#nodes.length; i++) {
      const url = this.pick();
      if (!tried.has(url)) return url;
    }
    return this.#nodes.find((n) => !tried.has(n.url))!.url;
  }
}
