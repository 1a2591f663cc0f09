/**
 * `KronWorker`: runs tasks for a kron cluster. It long-polls `POST /v1/claim` on a node (woken
 * by LISTEN/NOTIFY there, so a due run arrives within milliseconds), runs each claimed run's
 * task function, heartbeats while it runs, and reports the outcome with the run's fencing
 * token. The run's `ctx.signal` aborts when the lease is lost (a heartbeat answered 409, or
 * the lease ran out without a successful heartbeat), on the job's timeout, and on a stop that
 * outlasts its grace period.
 *
 * Give it every node's URL (a list, or one comma-separated string): its free slots are shared
 * among the live nodes, each with a long-poll claim of its own, so a slow node holds its share
 * only. A node that refuses or resets a connection, answers 5xx, or does not answer a claim
 * within its wait plus 2 s is passed over (one WARN line when lost, one when regained), and the
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
import { tokenFromEnv } from "./client.ts";
import { AdminApiError, NodeSet } from "../http/client.ts";
import { Outbox, retriable } from "./_outbox.ts";
import { Beats } from "./_beats.ts";
import { backoffMs, sleep } from "../sleep.ts";

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
  /**
   * Runs a claim may take beyond the free slots while runs wait (the last claim came back
   * full), held here until a slot frees (default 0). Their leases are kept by heartbeats
   * meanwhile; the job's timeout starts when the run does. Larger claims cost the cluster less
   * per run (docs/cluster.md, throughput), but runs held here wait for this worker's slots
   * while another worker might be free: for many short tasks.
   */
  prefetch?: number;
}

/** How long a claim waits for more free slots after a full batch (ms): claims stay large. */
const GATHER_MS = 5;
/**
 * Most runs one claim may ask for (the node's limit, `MAX_CLAIM` in server.ts: it answers a
 * larger `max` with 400, which would end the worker).
 */
const MAX_CLAIM = 1000;
/**
 * A node must answer a claim within its long-poll wait plus this (ms), else it is passed over
 * as lost until it answers its health probe.
 */
const CLAIM_GRACE_MS = 2_000;
/**
 * A node that has not answered an outcome after this long (ms) is passed over for another;
 * with a lease shorter than 9 s, after a third of the lease (at least 1 s), as a heartbeat is:
 * the run stays `running` meanwhile, and overlap skips the job's slots falling due.
 */
const OUTCOME_TIMEOUT_MS = 3_000;

interface InFlight {
  run: ClaimedRun;
  controller: AbortController;
  leaseUntil: number;
  lost: boolean;
  /** The task returned; its outcome is being delivered (heartbeats go on meanwhile). */
  finished: boolean;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "worker";
  }
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
  /** The heartbeats of the runs in flight, on one timer. */
  readonly #beats = new Beats();
  readonly #outbox: Outbox;
  readonly #stopping = new AbortController();
  /** The node each outstanding claim went to, and the slots it may fill. */
  readonly #claiming = new Map<string, number>();
  /** Outstanding claims made while runs wait (batches): one at a time. */
  #batches = 0;
  readonly #claimsAbort = new AbortController();
  #claimFailures = 0;
  #allLostWarned = false;
  #fatal: unknown = null;
  #slotFree: (() => void) | null = null;
  /** Task functions running now (the rest of #inFlight await their outcome's delivery or a slot). */
  #executing = 0;
  readonly #prefetch: number;
  /** Claimed runs waiting for a slot (in #inFlight, heartbeating). */
  readonly #queued: InFlight[] = [];
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
    this.#prefetch = Math.max(0, Math.floor(options.prefetch ?? 0));
    this.#leaseMs = options.leaseMs;
    this.#heartbeatMs = options.heartbeatMs;
    this.#waitMs = options.waitMs ?? 20_000;
    // An outcome is fenced, so it may go to another node at once: a node slow to answer (its
    // database link) would hold the run `running`, and the job's next slots with it.
    const outcomeTimeoutMs = options.leaseMs === undefined
      ? OUTCOME_TIMEOUT_MS
      : Math.min(OUTCOME_TIMEOUT_MS, Math.max(1000, Math.floor(options.leaseMs / 3)));
    this.#outbox = new Outbox(
      (path, body) => this.#post(path, body, undefined, outcomeTimeoutMs),
      Math.max(0, options.completeBatchMs ?? 2),
    );
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
      this.#claimsAbort.abort();
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
    if (!res.ok) throw await AdminApiError.from(res);
    return res;
  }

  /**
   * Slots free for a claim: a slot frees when its task returns, so the next claim overlaps
   * the delivery of the last outcomes; outcomes awaiting delivery beyond `concurrency` (the
   * cluster is slow to take them) hold slots, so they never pile up without bound.
   */
  #free(): number {
    const waiting = this.#queued.length;
    const undelivered = this.#inFlight.size - this.#executing - waiting;
    return this.#concurrency - this.#executing - waiting -
      Math.max(0, undelivered - this.#concurrency);
  }

  /** What a claim may take: the free slots, and while runs wait, the prefetch room. */
  #room(full: boolean): number {
    return this.#free() + (full ? this.#prefetch : 0);
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
    let full = false;
    const claims = new Set<Promise<void>>();
    while (!this.#stopping.signal.aborted && this.#fatal === null) {
      let free = this.#room(full) - this.#reserved();
      const url = free > 0 ? this.#nodes.pickExcept(new Set(this.#claiming.keys())) : null;
      if (url === null) {
        // No free slot, or every node has this worker's claim: wait for a slot or a claim.
        await this.#waitSlot();
        continue;
      }
      // After a full batch (a backlog), gather slots for a moment: one claim of many runs
      // costs the cluster about what a claim of one does.
      if (full && free < (this.#concurrency + this.#prefetch) / 2 && this.#batches === 0) {
        await this.#waitSlot(GATHER_MS);
        free = this.#room(full) - this.#reserved();
        if (free <= 0 || this.#stopping.signal.aborted) continue;
      }
      // While runs wait (the last claim came back full), one batch at a time takes every free
      // slot: batches stay large. Long-polls sent before do not hold it back: a node slow to
      // answer one would stall the worker while runs wait. Otherwise the free slots are shared
      // among the live nodes, each with a long-poll of its own, so a slow node holds its share.
      if (full && this.#batches > 0) {
        await this.#waitSlot();
        continue;
      }
      const share = Math.ceil(this.#free() / Math.max(1, this.#nodes.live));
      const max = Math.min(MAX_CLAIM, full ? free : Math.max(1, Math.min(free, share)));
      const batch = full;
      if (batch) this.#batches++;
      this.#claiming.set(url, max);
      const claim = this.#claimFrom(url, tasks, max).then((runs) => {
        if (runs === null) return;
        full = runs.length >= max;
        for (const run of runs) this.#take(run);
      }).finally(() => {
        if (batch) this.#batches--;
        this.#claiming.delete(url);
        claims.delete(claim);
        this.#slotFree?.();
      });
      claims.add(claim);
      // All nodes failing: back off before the next claim (the failed ones are lost and
      // probed meanwhile).
      if (this.#claimFailures > 0 && this.#nodes.live === 0) {
        await sleep(backoffMs(this.#claimFailures - 1), this.#stopping.signal);
      }
    }
    this.#claimsAbort.abort();
    await Promise.all(claims);
    if (this.#fatal !== null) throw this.#fatal;
    while (this.#inFlight.size > 0 || this.#outbox.busy) await sleep(10);
  }

  #reserved(): number {
    let n = 0;
    for (const max of this.#claiming.values()) n += max;
    return n;
  }

  /**
   * One long-poll claim through the node at `url`. It must answer within its wait plus
   * {@link CLAIM_GRACE_MS}; a node that does not is marked lost (one WARN line) and passed
   * over until it answers its health probe. Resolves to the runs, or null on failure.
   */
  async #claimFrom(url: string, tasks: string[], max: number): Promise<ClaimedRun[] | null> {
    try {
      const res = await this.#nodes.fetchFrom(url, "/v1/claim", {
        method: "POST",
        // The runs are read from the body: the per-run headers would only cost both ends.
        headers: { ...this.#headers, "x-kron-run-headers": "none" },
        body: JSON.stringify({
          tasks,
          max,
          waitMs: this.#waitMs,
          worker: this.workerId,
          ...(this.#leaseMs ? { leaseMs: this.#leaseMs } : {}),
        }),
        signal: this.#claimsAbort.signal,
      }, this.#waitMs + CLAIM_GRACE_MS);
      if (!res.ok) throw await AdminApiError.from(res);
      const runs = await res.json() as ClaimedRun[];
      this.#claimFailures = 0;
      this.#allLostWarned = false;
      return runs;
    } catch (e) {
      if (this.#claimsAbort.signal.aborted) return null;
      if (!retriable(e)) {
        this.#fatal = e;
        this.#slotFree?.();
        return null;
      }
      this.#claimFailures++;
      // A node that answered "not now" (429) stays live: hold its claim slot for a while, so
      // the loop does not ask it again at once.
      const status = (e as { status?: number }).status;
      if (status !== undefined && status < 500) {
        await sleep(backoffMs(this.#claimFailures - 1), this.#claimsAbort.signal);
      }
      if (this.#nodes.live === 0 && !this.#allLostWarned) {
        this.#allLostWarned = true;
        log.warn("claim failed on every node ({error}); retrying with backoff", {
          error: String(e),
        });
      }
      return null;
    }
  }

  /** A claimed run: runs now if a slot is free, else waits in the prefetch queue. */
  #take(run: ClaimedRun): void {
    const f: InFlight = {
      run,
      controller: new AbortController(),
      leaseUntil: Date.parse(run.leaseUntil),
      lost: false,
      finished: false,
    };
    this.#inFlight.set(run.runId, f);
    const leaseMs = Math.max(100, f.leaseUntil - Date.now());
    const every = this.#heartbeatMs ?? Math.max(50, Math.floor((this.#leaseMs ?? leaseMs) / 3));
    this.#beats.add(run.runId, every, () => this.#heartbeat(f, Math.max(1000, every)));
    if (this.#executing < this.#concurrency) this.#execute(f);
    else this.#queued.push(f);
  }

  /** Starts queued runs while slots are free; one whose lease was lost meanwhile is dropped. */
  #next(): void {
    while (this.#executing < this.#concurrency && this.#queued.length > 0) {
      const f = this.#queued.shift()!;
      if (!f.lost) {
        this.#execute(f);
        continue;
      }
      this.#beats.delete(f.run.runId);
      this.#inFlight.delete(f.run.runId);
      this.#slotFree?.();
    }
  }

  #execute(f: InFlight): void {
    const { run, controller } = f;
    this.#executing++;
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
      this.#next();
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
        });
      }
      // Heartbeats go on until the outcome is delivered: a slow delivery (a node that hangs)
      // must not cost the run its lease.
      this.#beats.delete(run.runId);
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
}
