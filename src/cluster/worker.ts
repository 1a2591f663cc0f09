/**
 * `KronWorker`: runs tasks for a kron cluster. It long-polls `POST /v1/claim` on a node (woken
 * by LISTEN/NOTIFY there, so a due run arrives within milliseconds), runs each claimed run's
 * task function, heartbeats while it runs, and reports the outcome with the run's fencing
 * token. The run's `ctx.signal` aborts when the lease is lost (a heartbeat answered 409, or
 * the lease ran out without a successful heartbeat), on the job's timeout, and on a stop that
 * outlasts its grace period.
 *
 * Give it every node's URL (a list, or one comma-separated string): claims are spread
 * round-robin over the nodes that answer. A node that refuses or resets a connection, or
 * answers 5xx, is skipped at once (one WARN line when lost, one when regained), and the
 * heartbeats and outcomes of runs claimed through it go through another node with the same
 * fencing token: any node can fence any run, since the lease lives in the database. When no
 * node answers, claims poll again with backoff and outcomes are retried until the cluster
 * gives a definite answer, so no run's result is dropped. Outcomes queued together travel in
 * one `POST /v1/complete`.
 *
 * @example
 * ```ts
 * import { KronWorker } from "./worker.ts";
 * const worker = new KronWorker(["http://127.0.0.1:7380", "http://127.0.0.1:7381"], {
 *   token: Deno.env.get("KRON_TOKEN"),
 * });
 * worker.task("send_digest", async (payload, ctx) => {
 *   console.log("digest for", payload, ctx.idempotencyKey, ctx.fencingToken);
 * });
 * Deno.addSignalListener("SIGTERM", () => worker.stop());
 * await worker.run();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { KronError } from "../errors.ts";
import { ulid } from "../ulid.ts";
import type { ClaimedRun } from "./claims.ts";
import { errorFrom, tokenFromEnv } from "./client.ts";
import { NodeSet } from "../api/nodes.ts";

const log = getLogger(["kron", "cluster", "worker"]);

/**
 * What a task function receives besides its payload.
 *
 * @example
 * ```ts
 * import type { TaskContext } from "./worker.ts";
 * const key = (ctx: TaskContext) => `${ctx.idempotencyKey}#${ctx.fencingToken}`;
 * ```
 */
export interface TaskContext {
  runId: string;
  job: string;
  attempt: number;
  /** Nominal (pre-jitter) time of the occurrence. */
  scheduledAt: Date;
  /** `job:<scheduledAt ISO>` (or `job:manual:<runId>`): stable across retries. */
  idempotencyKey: string;
  /** Grows with every claim in the cluster: pass it to storage that can fence stale writers. */
  fencingToken: number;
  /** Aborts when the lease is lost, on timeout, and on a forced stop. */
  signal: AbortSignal;
}

/**
 * A task function: resolve for success, throw for failure.
 *
 * @example
 * ```ts
 * import type { TaskHandler } from "./worker.ts";
 * const noop: TaskHandler = () => {};
 * ```
 */
export type TaskHandler = (payload: unknown, ctx: TaskContext) => unknown;

/**
 * Options of {@link KronWorker}.
 *
 * @example
 * ```ts
 * import type { KronWorkerOptions } from "./worker.ts";
 * const o: KronWorkerOptions = { concurrency: 8, leaseMs: 30_000 };
 * ```
 */
export interface KronWorkerOptions {
  /** Bearer token (default `KRON_TOKEN`). */
  token?: string;
  /** Runs at once (default 10); a claim asks for as many as there are free slots. */
  concurrency?: number;
  /** Lease asked for each claimed run (default: the node's, 30 s). */
  leaseMs?: number;
  /** Heartbeat interval (default a third of the lease). */
  heartbeatMs?: number;
  /** Long-poll wait of one claim (default 20 s). */
  waitMs?: number;
  /** Id shown in run rows and logs (default host:pid:random). */
  workerId?: string;
  /**
   * Outcomes finishing within this many ms travel together in one request (default 2); a
   * batch of 500 goes at once.
   */
  completeBatchMs?: number;
}

/** Most outcomes one `POST /v1/complete` carries. */
const COMPLETE_BATCH = 500;
/** How long a claim waits for more free slots after a full batch (ms): claims stay large. */
const GATHER_MS = 5;

interface InFlight {
  run: ClaimedRun;
  controller: AbortController;
  leaseUntil: number;
  lost: boolean;
  /** The task returned; its outcome is being delivered (heartbeats go on meanwhile). */
  finished: boolean;
}

interface Outcome {
  run: ClaimedRun;
  error: string | null;
  timedOut: boolean;
  resolve: () => void;
  giveUpAt: number;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "worker";
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

const backoff = (failures: number) => {
  const exp = Math.min(5000, 100 * 2 ** Math.min(failures, 16));
  return Math.round(exp / 2 + Math.random() * exp / 2);
};

/** Errors worth retrying: no answer at all, or the cluster said "not now" (5xx, 429). */
function retriable(e: unknown): boolean {
  if (e instanceof KronError && "status" in e) {
    const status = (e as unknown as { status: number }).status;
    return status >= 500 || status === 429;
  }
  return true;
}

/**
 * A worker (see the module doc).
 *
 * @example
 * ```ts
 * import { KronWorker } from "./worker.ts";
 * const w = new KronWorker("http://127.0.0.1:7380", { token: "0123456789abcdef0123456789abcdef", concurrency: 4 });
 * w.task("resize", async (payload, ctx) => { if (ctx.signal.aborted) return; });
 * const done = w.run();
 * await w.stop();
 * await done;
 * ```
 */
export class KronWorker {
  readonly #nodes: NodeSet;
  readonly #headers: Record<string, string>;
  readonly #concurrency: number;
  readonly #leaseMs: number | undefined;
  readonly #heartbeatMs: number | undefined;
  readonly #waitMs: number;
  readonly #tasks = new Map<string, TaskHandler>();
  readonly #inFlight = new Map<string, InFlight>();
  readonly #outbox: Outcome[] = [];
  readonly #stopping = new AbortController();
  #claimAbort: AbortController | null = null;
  #slotFree: (() => void) | null = null;
  #flushing = false;
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** Task functions running now (the rest of #inFlight await their outcome's delivery). */
  #executing = 0;
  readonly #completeBatchMs: number;
  #running: Promise<void> | null = null;
  #completed = 0;
  /** This worker's id. */
  readonly workerId: string;

  /** A worker of the nodes at `urls` (one URL, a comma-separated string, or a list). */
  constructor(urls: string | readonly string[], options: KronWorkerOptions = {}) {
    this.#nodes = new NodeSet(urls, (message) => log.warn("{message}", { message }));
    const token = options.token ?? tokenFromEnv();
    this.#headers = {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    };
    this.#concurrency = Math.max(1, options.concurrency ?? 10);
    this.#leaseMs = options.leaseMs;
    this.#heartbeatMs = options.heartbeatMs;
    this.#waitMs = options.waitMs ?? 20_000;
    this.#completeBatchMs = Math.max(0, options.completeBatchMs ?? 2);
    this.workerId = options.workerId ?? `${hostname()}:${Deno.pid}:${ulid(Date.now()).slice(-6)}`;
  }

  /** Runs finished and reported (accepted or not). */
  get completed(): number {
    return this.#completed;
  }

  /** Runs executing now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Registers the function of a task (before {@link KronWorker.run}).
   *
   * @example
   * ```ts
   * import { KronWorker } from "./worker.ts";
   * new KronWorker("http://127.0.0.1:7380").task("send_digest", (payload) => console.log(payload));
   * ```
   */
  task(name: string, handler: TaskHandler): this {
    if (typeof handler !== "function") {
      throw new KronError("invalid_option", `task "${name}": the handler must be a function`);
    }
    this.#tasks.set(name, handler);
    return this;
  }

  /**
   * Claims and runs tasks until {@link KronWorker.stop}; resolves once stopped and every
   * outcome is reported.
   *
   * @example
   * ```ts
   * import { KronWorker } from "./worker.ts";
   * const w = new KronWorker("http://127.0.0.1:7380").task("a", () => {});
   * setTimeout(() => w.stop(), 1000);
   * await w.run();
   * ```
   */
  run(): Promise<void> {
    if (this.#tasks.size === 0) {
      return Promise.reject(new KronError("invalid_option", "register a task before run()"));
    }
    return this.#running ??= this.#loop();
  }

  /**
   * Stops claiming, waits up to `timeout` ms (default 30 s) for running tasks, then aborts
   * what is left (their signals fire) and waits for their outcomes to be reported.
   *
   * @example
   * ```ts
   * import { KronWorker } from "./worker.ts";
   * const w = new KronWorker("http://127.0.0.1:7380").task("a", () => {});
   * const running = w.run();
   * await w.stop({ timeout: 5_000 });
   * ```
   */
  async stop(options: { timeout?: number } = {}): Promise<void> {
    if (!this.#stopping.signal.aborted) {
      this.#stopping.abort();
      this.#claimAbort?.abort();
      this.#slotFree?.();
      const deadline = Date.now() + (options.timeout ?? 30_000);
      while (this.#inFlight.size > 0 && Date.now() < deadline) await sleep(20);
      for (const f of this.#inFlight.values()) {
        f.controller.abort(new DOMException("worker stopping", "AbortError"));
      }
    }
    await this.#running;
  }

  /** POSTs to the next live node, moving on to the others when it fails (all calls of a
   * worker are fenced or claim-only, so sending one again elsewhere is safe). */
  async #post(
    path: string,
    body: unknown,
    signal?: AbortSignal,
    timeoutMs = 15_000,
  ): Promise<Response> {
    const res = await this.#nodes.fetch(path, {
      method: "POST",
      headers: this.#headers,
      body: JSON.stringify(body),
      signal,
    }, { idempotent: true, timeoutMs });
    if (!res.ok) throw await errorFrom(res);
    return res;
  }

  /**
   * Slots free for a claim: a slot frees when its task returns, so the next claim overlaps
   * the delivery of the last outcomes; outcomes awaiting delivery beyond `concurrency` (the
   * cluster is slow to take them) hold slots, so they never pile up without bound.
   */
  #free(): number {
    const undelivered = this.#inFlight.size - this.#executing;
    return this.#concurrency - this.#executing - Math.max(0, undelivered - this.#concurrency);
  }

  #waitSlot(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        this.#slotFree = null;
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(done, ms);
      this.#slotFree = done;
    });
  }

  async #loop(): Promise<void> {
    const tasks = [...this.#tasks.keys()];
    let failures = 0;
    let full = false;
    while (!this.#stopping.signal.aborted) {
      let free = this.#free();
      if (free <= 0) {
        await this.#waitSlot();
        continue;
      }
      // After a full batch (a backlog), gather slots for a moment: one claim of many runs
      // costs the cluster about what a claim of one does.
      if (full && free < this.#concurrency / 2) {
        await this.#waitSlot(GATHER_MS);
        free = this.#free();
        if (free <= 0 || this.#stopping.signal.aborted) continue;
      }
      let runs: ClaimedRun[];
      this.#claimAbort = new AbortController();
      try {
        const res = await this.#post(
          "/v1/claim",
          {
            tasks,
            max: free,
            waitMs: this.#waitMs,
            worker: this.workerId,
            ...(this.#leaseMs ? { leaseMs: this.#leaseMs } : {}),
          },
          this.#claimAbort.signal,
          this.#waitMs + 10_000,
        );
        runs = await res.json() as ClaimedRun[];
        failures = 0;
      } catch (e) {
        if (this.#stopping.signal.aborted) break;
        if (!retriable(e)) throw e;
        if (failures === 0) {
          log.warn("claim failed on every node ({error}); retrying with backoff", {
            error: String(e),
          });
        }
        await sleep(backoff(failures++), this.#stopping.signal);
        continue;
      } finally {
        this.#claimAbort = null;
      }
      full = runs.length >= free;
      for (const run of runs) this.#execute(run);
    }
    while (this.#inFlight.size > 0 || this.#outbox.length > 0 || this.#flushing) await sleep(10);
  }

  #execute(run: ClaimedRun): void {
    const controller = new AbortController();
    const f: InFlight = {
      run,
      controller,
      leaseUntil: Date.parse(run.leaseUntil),
      lost: false,
      finished: false,
    };
    this.#inFlight.set(run.runId, f);
    this.#executing++;
    const leaseMs = Math.max(100, f.leaseUntil - Date.now());
    const every = this.#heartbeatMs ?? Math.max(50, Math.floor((this.#leaseMs ?? leaseMs) / 3));
    const heartbeat = setInterval(() => this.#heartbeat(f, Math.max(1000, every)), every);
    const timeout = run.timeoutMs === null ? undefined : setTimeout(
      () =>
        controller.abort(new DOMException(`timed out after ${run.timeoutMs}ms`, "TimeoutError")),
      run.timeoutMs,
    );
    const handler = this.#tasks.get(run.task)!;
    const ctx: TaskContext = {
      runId: run.runId,
      job: run.job,
      attempt: run.attempt,
      scheduledAt: new Date(run.scheduledAt),
      idempotencyKey: run.idempotencyKey,
      fencingToken: run.fencingToken,
      signal: controller.signal,
    };
    (async () => {
      let error: string | null = null;
      try {
        await handler(run.payload, ctx);
      } catch (e) {
        error = e instanceof Error ? (e.message || e.name) : String(e);
      }
      clearTimeout(timeout);
      const timedOut =
        (controller.signal.reason as DOMException | undefined)?.name === "TimeoutError";
      if (timedOut && error === null) error = `timed out after ${run.timeoutMs}ms`;
      f.finished = true;
      this.#executing--;
      this.#slotFree?.();
      if (!f.lost) {
        await new Promise<void>((resolve) => {
          this.#outbox.push({
            run,
            error,
            timedOut,
            resolve,
            // Keep trying well past the lease: a cluster that comes back answers definitely.
            giveUpAt: Date.now() + 10 * 60_000,
          });
          this.#scheduleFlush();
        });
      }
      // Heartbeats go on until the outcome is delivered: a slow delivery (a node that hangs)
      // must not cost the run its lease.
      clearInterval(heartbeat);
      this.#completed++;
      this.#inFlight.delete(run.runId);
      this.#slotFree?.();
    })();
  }

  async #heartbeat(f: InFlight, timeoutMs: number): Promise<void> {
    if (f.lost) return;
    try {
      const res = await this.#post(
        `/v1/runs/${f.run.runId}/heartbeat`,
        {
          fencingToken: f.run.fencingToken,
          ...(this.#leaseMs ? { leaseMs: this.#leaseMs } : {}),
        },
        undefined,
        timeoutMs,
      );
      f.leaseUntil = Date.parse((await res.json() as { leaseUntil: string }).leaseUntil);
    } catch (e) {
      if (!retriable(e)) return this.#lose(f, String((e as Error).message));
      // No answer: the lease may still be ours until it runs out.
      if (Date.now() > f.leaseUntil) this.#lose(f, "lease expired without a successful heartbeat");
    }
  }

  #lose(f: InFlight, why: string): void {
    // A finished run's outcome answers for it (a heartbeat racing its completion gets 409).
    if (f.lost || f.finished) return;
    f.lost = true;
    log.warn("run {runId} of {job}: lease lost ({why}); aborting", {
      runId: f.run.runId,
      job: f.run.job,
      why,
    });
    f.controller.abort(new DOMException(`lease lost: ${why}`, "AbortError"));
  }

  /** Sends the outbox soon: outcomes of the next few ms travel together. */
  #scheduleFlush(): void {
    if (this.#outbox.length >= COMPLETE_BATCH || this.#completeBatchMs === 0) {
      this.#flush();
    } else {
      this.#flushTimer ??= setTimeout(() => this.#flush(), this.#completeBatchMs);
    }
  }

  /** Sends queued outcomes: successes together in one request, failures one by one. */
  async #flush(): Promise<void> {
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    if (this.#flushing) return;
    this.#flushing = true;
    let failures = 0;
    try {
      while (this.#outbox.length > 0) {
        const batch = this.#outbox.splice(0, COMPLETE_BATCH);
        const ok = batch.filter((o) => o.error === null);
        const bad = batch.filter((o) => o.error !== null);
        const retry: Outcome[] = [];
        try {
          if (ok.length === 1) {
            await this.#settle(() =>
              this.#post(`/v1/runs/${ok[0].run.runId}/complete`, {
                fencingToken: ok[0].run.fencingToken,
              })
            );
          } else if (ok.length > 1) {
            const res = await this.#post("/v1/complete", {
              runs: ok.map((o) => ({ runId: o.run.runId, fencingToken: o.run.fencingToken })),
            });
            // Each run of the batch is fenced on its own: a stale token is refused alone.
            const { rejected } = await res.json() as { rejected: string[] };
            for (const runId of rejected) {
              log.warn("outcome refused: run {runId}: its fencing token is no longer current", {
                runId,
              });
            }
          }
          for (const o of ok) o.resolve();
        } catch (e) {
          if (!retriable(e)) ok.forEach((o) => o.resolve());
          else retry.push(...ok);
        }
        for (const o of bad) {
          try {
            await this.#settle(() =>
              this.#post(`/v1/runs/${o.run.runId}/fail`, {
                fencingToken: o.run.fencingToken,
                error: o.error,
                timedOut: o.timedOut,
              })
            );
            o.resolve();
          } catch (e) {
            if (!retriable(e)) o.resolve();
            else retry.push(o);
          }
        }
        if (retry.length > 0) {
          const now = Date.now();
          for (const o of retry) {
            if (now > o.giveUpAt) {
              log.error("run {runId}: outcome not delivered; the cluster will reclaim it", {
                runId: o.run.runId,
              });
              o.resolve();
            } else this.#outbox.push(o);
          }
          await sleep(backoff(failures++));
        } else failures = 0;
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** A 409/404 answer is definite: the cluster already moved on (logged, not retried). */
  async #settle(send: () => Promise<Response>): Promise<void> {
    try {
      await send();
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 409 || status === 404) {
        log.warn("outcome refused: {error}", { error: String((e as Error).message) });
        return;
      }
      throw e;
    }
  }
}
