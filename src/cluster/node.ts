/**
 * One cluster node's machinery, shared by `kron server` and embedded replicas: the schema
 * migration, the ticker loop, the lease reaper, LISTEN/NOTIFY wake-ups and long-poll claims.
 * Nodes are peers: the database decides everything, so any number of them may run and any
 * may die. Every loop survives database outages: errors are logged once per outage and
 * retried with exponential backoff (100 ms doubling to 5 s), and postgres.js reconnects.
 *
 * @example
 * ```ts
 * import { ClusterNode } from "./node.ts";
 * const node = new ClusterNode({ store: "postgres://postgres@127.0.0.1:5432/postgres" });
 * await node.start();
 * const runs = await node.claim({ tasks: ["send_digest"], max: 1, waitMs: 5_000, worker: "w1" });
 * await node.stop();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { VERSION } from "../version.ts";
import { KronError } from "../errors.ts";
import { ulid } from "../ulid.ts";
import { insertEvents, iso } from "./_events.ts";
import { connect, isTransient, type Sql, tables } from "./_sql.ts";
import { CLAIM_SETTINGS } from "./_claim_run.ts";
import { backoffMs, sleep } from "../sleep.ts";
import {
  type ClaimedJson,
  type ClaimedRun,
  claimRunsJson,
  DEFAULT_LEASE_MS,
  nextPendingAt,
  reapExpired,
} from "./claims.ts";
import type { Tables } from "./jobs.ts";
import { lookedAt, recordLook } from "./_reap_turn.ts";
import { pruneHistory } from "./history.ts";
import { pruneIdempotencyKeys } from "./idempotency.ts";
import { Notifier } from "./notify.ts";
import { migrate } from "./schema.ts";
import { LOOKAHEAD_MS, nextDueAt, tick, TICK_BATCH } from "./ticker.ts";

const log = getLogger(["kron", "cluster"]);
/**
 * Least wait between two ticks of one node (ms). Slots are materialised up to LOOKAHEAD_MS
 * ahead, so the ticker can batch: one tick every quarter of the lookahead covers every slot
 * falling due meanwhile, and each run still exists well before its due time.
 */
const TICK_EVERY_MS = LOOKAHEAD_MS / 4;
/**
 * How far past its wait a claim may answer (ms); below the 2 s a worker grants a node before
 * passing it over.
 */
const CLAIM_SLACK_MS = 1000;
/** How often a node prunes history beyond `history_limit` (cheap when nothing is over). */
const PRUNE_EVERY_MS = 60_000;

/**
 * Options of a {@link ClusterNode}.
 *
 * @example
 * ```ts
 * import type { ClusterNodeOptions } from "./node.ts";
 * const o: ClusterNodeOptions = { store: "postgres://db/kron", schema: "kron", leaseMs: 30_000 };
 * ```
 */
export interface ClusterNodeOptions {
  /** `postgres://…` URL, or a postgres.js pool of your own (not closed by `stop`). */
  store: string | Sql;
  /** Schema of the kron tables (default `KRON_PG_SCHEMA`, else `kron`). */
  schema?: string;
  /** This node's id in logs and events (default host:pid:random). */
  nodeId?: string;
  /** Default lease of claimed runs (default 30 s). */
  leaseMs?: number;
  /** Fallback polling interval while LISTEN works (default 1 s); 4× faster while it does not. */
  pollMs?: number;
  /** Pool size (default 8). */
  poolSize?: number;
  /** Randomness for jitter and retry backoff. */
  random?: () => number;
  /** Run the ticker and the reaper (default true; false makes an API-only node). */
  background?: boolean;
}

/**
 * Options of {@link ClusterNode.claim}.
 *
 * @example
 * ```ts
 * import type { NodeClaimOptions } from "./node.ts";
 * const o: NodeClaimOptions = { tasks: ["a"], max: 4, waitMs: 20_000, worker: "w1" };
 * ```
 */
export interface NodeClaimOptions {
  tasks: string[];
  max: number;
  /** Long-poll: wait up to this long for a run to become due (default 0). */
  waitMs?: number;
  /** Lease of the claimed runs (default the node's). */
  leaseMs?: number;
  worker: string;
  signal?: AbortSignal;
}

/**
 * The schema from `KRON_PG_SCHEMA`, else `kron`.
 *
 * @example
 * ```ts
 * import { defaultSchema } from "./node.ts";
 * defaultSchema(); // "kron"
 * ```
 */
export function defaultSchema(): string {
  try {
    return Deno.env.get("KRON_PG_SCHEMA") || "kron";
  } catch {
    return "kron";
  }
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

/**
 * A cluster node (see the module doc).
 *
 * @example
 * ```ts
 * import { ClusterNode } from "./node.ts";
 * const node = new ClusterNode({ store: Deno.env.get("KRON_STORE")!, schema: "kron" });
 * await node.start();
 * await node.stop();
 * ```
 */
export class ClusterNode {
  /** The pool. */
  readonly sql: Sql;
  /** Table names of the schema. */
  readonly t: Tables;
  /** This node's id. */
  readonly nodeId: string;
  /** Default lease (ms). */
  readonly leaseMs: number;
  readonly #ownsSql: boolean;
  readonly #pollMs: number;
  readonly #random: () => number;
  readonly #background: boolean;
  readonly #notifier: Notifier;
  readonly #stopping = new AbortController();
  readonly #waiters = new Set<() => void>();
  /** Counts wake-ups, so a claim that was running through one does not wait it out. */
  #wakes = 0;
  readonly #listeners = new Set<(payload: string) => void>();
  #tickerWake: (() => void) | null = null;
  #tickerKick = false;
  #runTimer: ReturnType<typeof setTimeout> | null = null;
  #runTimerAt = Infinity;
  /** Known future due times (local clock, ms), sorted: the run timer walks through them. */
  #dueTimes: number[] = [];
  #loops: Promise<void>[] = [];
  #dbError: string | null = null;
  #started = false;
  /** How long this node's last claim took (ms): a measure of its database link. */
  #claimMs = 0;
  #claimAt = 0;
  /**
   * The pool claims and batch completions use when this node owns its connections: its
   * sessions start with the claim's planner settings (_claim_run.ts).
   */
  readonly claimSql: Sql | undefined;

  /** Creates the node; nothing connects before {@link ClusterNode.start}. */
  constructor(options: ClusterNodeOptions) {
    const schema = options.schema ?? defaultSchema();
    this.t = tables(schema);
    this.nodeId = options.nodeId ?? `${hostname()}:${Deno.pid}:${ulid(Date.now()).slice(-6)}`;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#pollMs = options.pollMs ?? 1000;
    this.#random = options.random ?? Math.random;
    this.#background = options.background ?? true;
    if (typeof options.store === "string") {
      this.sql = connect(options.store, {
        max: options.poolSize ?? 8,
        application: `kron ${this.nodeId}`,
      });
      // Claims on sessions that start with their planner settings: one statement, one round
      // trip (_claim_run.ts). Connected when the first claim comes.
      this.claimSql = connect(options.store, {
        max: Math.max(1, Math.min(4, options.poolSize ?? 8)),
        application: `kron ${this.nodeId} claims`,
        settings: CLAIM_SETTINGS,
      });
      this.#ownsSql = true;
    } else {
      this.sql = options.store;
      this.claimSql = undefined;
      this.#ownsSql = false;
    }
    this.#notifier = new Notifier(this.sql, this.t.channel, (p) => this.#onNotify(p));
  }

  /** Why the database is not usable right now, or null when the last query worked. */
  get dbError(): string | null {
    return this.#dbError;
  }

  /** True once started and not stopping. */
  get running(): boolean {
    return this.#started && !this.#stopping.signal.aborted;
  }

  /** Aborts when the node stops. */
  get signal(): AbortSignal {
    return this.#stopping.signal;
  }

  /**
   * Migrates the schema (retrying while the database is unreachable), records
   * `RUNTIME_STARTED`, and starts LISTEN, the ticker and the reaper.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    for (let failures = 0;; failures++) {
      try {
        await migrate(this.sql, this.t.schema);
        break;
      } catch (e) {
        if (!isTransient(e) || this.#stopping.signal.aborted) throw e;
        this.#noteError(e, "migrate");
        await sleep(backoffMs(failures), this.#stopping.signal);
      }
    }
    this.#dbError = null;
    this.#started = true;
    await this.#record("RUNTIME_STARTED").catch(() => {});
    this.#notifier.start();
    if (this.#background) {
      this.#loops.push(this.#tickerLoop(), this.#reaperLoop());
    }
  }

  /** Stops the loops, wakes every waiting claim (they answer empty), closes an owned pool. */
  async stop(): Promise<void> {
    if (this.#stopping.signal.aborted) return;
    this.#stopping.abort();
    this.#tickerWake?.();
    for (const w of [...this.#waiters]) w();
    if (this.#runTimer !== null) clearTimeout(this.#runTimer);
    await Promise.all(this.#loops);
    await this.#notifier.stop();
    if (this.#started) await this.#record("RUNTIME_STOPPED").catch(() => {});
    if (this.#ownsSql) {
      await Promise.all(
        [this.sql, this.claimSql].map((p) => p?.end({ timeout: 2 }).catch(() => {})),
      );
    }
  }

  /** Subscribes to NOTIFY payloads (`"*"` after each reconnect); returns the unsubscribe. */
  onNotify(listener: (payload: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Wakes waiting claims and the ticker now (after a local change). */
  wake(): void {
    this.#wakes++;
    for (const w of [...this.#waiters]) w();
  }

  /**
   * Claims due runs, waiting up to `waitMs` for some (long-poll): woken by this node's
   * ticker, NOTIFY from other nodes, a timer for the next known run time, or the fallback poll.
   */
  async claim(o: NodeClaimOptions): Promise<ClaimedRun[]> {
    return (await this.claimJson(o)).map((r) => JSON.parse(r.json) as ClaimedRun);
  }

  /** {@link claim}, each run as its answer's JSON text (what `POST /v1/claim` sends on). */
  async claimJson(o: NodeClaimOptions): Promise<ClaimedJson[]> {
    const deadline = Date.now() + (o.waitMs ?? 0);
    for (let attempt = 0;; attempt++) {
      // A claim must answer within its wait and a little (workers pass over a node that does
      // not): with a slow database link, an attempt that would end past that claims runs the
      // worker no longer waits for (they sit leased until the lease runs out). Such a node
      // refuses the claim at once (503: the worker uses another node) or answers what it has.
      // The measure holds for a few seconds only, so a node refuses for a while at most.
      const claimMs = Date.now() - this.#claimAt < 5_000 ? this.#claimMs : 0;
      if (Date.now() + claimMs > deadline + CLAIM_SLACK_MS) {
        if (attempt > 0) return [];
        throw new KronError(
          "io",
          `database too slow: the last claim took ${Math.round(claimMs)} ms`,
        );
      }
      const started = performance.now();
      const wakes = this.#wakes;
      const runs = await this.#guard(() =>
        claimRunsJson(this.sql, this.t, {
          tasks: o.tasks,
          max: o.max,
          leaseMs: o.leaseMs ?? this.leaseMs,
          worker: o.worker,
        }, this.claimSql)
      ).finally(() => {
        this.#claimMs = performance.now() - started;
        this.#claimAt = Date.now();
      });
      const left = deadline - Date.now();
      if (runs.length > 0 || left <= 0 || !this.running || o.signal?.aborted) return runs;
      // Woken while the claim ran (a due time passed, a NOTIFY came): its runs may have been
      // committed after the claim looked, so look again instead of waiting for the next wake.
      if (this.#wakes !== wakes) continue;
      // Runs materialised but not due yet: wake when the first is. The ticker and NOTIFY
      // usually told this node already (a timer is armed); otherwise ask the database.
      if (this.#runTimer === null) {
        const next = await this.#guard(() => nextPendingAt(this.sql, this.t, o.tasks));
        if (next !== null) this.#armRunTimer(next);
      }
      await this.#waitForWake(Math.min(left, this.#pollInterval()), o.signal);
    }
  }

  /**
   * Checks the database with `SELECT 1` (`GET /healthz`). A quick answer also clears a slow
   * claim measured before (the link healed), so claims are tried again.
   */
  async ping(): Promise<void> {
    const started = performance.now();
    await this.sql.unsafe("SELECT 1");
    const ms = performance.now() - started;
    if (ms < 100) this.#claimMs = Math.min(this.#claimMs, 4 * ms);
  }

  /** Runs `fn`, keeping track of database health. */
  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      const out = await fn();
      this.#dbError = null;
      return out;
    } catch (e) {
      if (isTransient(e)) this.#noteError(e, "query");
      throw e;
    }
  }

  #pollInterval(): number {
    return this.#notifier.listening && this.#dbError === null ? this.#pollMs : this.#pollMs / 4;
  }

  #waitForWake(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  #onNotify(payload: string): void {
    for (const l of this.#listeners) l(payload);
    if (payload.startsWith("runs:")) {
      const now = Date.now();
      let due = false;
      for (const part of payload.slice(5).split(",")) {
        const at = Number(part);
        if (Number.isFinite(at) && at > now + 1) this.#armRunTimer(at);
        else due = true;
      }
      if (due) this.wake();
      return;
    }
    // "jobs" (definitions, pauses) or "*" (reconnected): the ticker re-reads its next due time.
    this.#kickTicker();
    if (payload === "*") this.wake();
  }

  /** Wakes claims when a run known to be pending becomes due (one timer, earliest first). */
  #armRunTimer(at: number): void {
    const list = this.#dueTimes;
    if (list.length < 10_000) {
      // Sorted insert (times mostly arrive in order: search from the end), no duplicates.
      let i = list.length;
      while (i > 0 && list[i - 1] > at) i--;
      if (list[i - 1] !== at) list.splice(i, 0, at);
    }
    this.#rearm();
  }

  #rearm(): void {
    const now = Date.now();
    let woke = false;
    while (this.#dueTimes.length > 0 && this.#dueTimes[0] <= now) {
      this.#dueTimes.shift();
      woke = true;
    }
    if (woke) this.wake();
    const at = this.#dueTimes[0] ?? Infinity;
    if (at === this.#runTimerAt) return;
    if (this.#runTimer !== null) clearTimeout(this.#runTimer);
    this.#runTimer = null;
    this.#runTimerAt = at;
    if (at === Infinity || this.#stopping.signal.aborted) return;
    this.#runTimer = setTimeout(() => {
      this.#runTimer = null;
      this.#runTimerAt = Infinity;
      this.#rearm();
    }, Math.max(0, at - now) + 1);
  }

  #kickTicker(): void {
    this.#tickerKick = true;
    this.#tickerWake?.();
  }

  async #tickerLoop(): Promise<void> {
    let failures = 0;
    while (!this.#stopping.signal.aborted) {
      let delay: number;
      try {
        this.#tickerKick = false;
        for (;;) {
          const r = await this.#guard(() => tick(this.sql, this.t, this.#random));
          // The database's clock decided these times: convert them to this node's clock.
          const skew = r.now - Date.now();
          for (const at of r.runAts) {
            if (at <= r.now) this.wake();
            else this.#armRunTimer(at - skew);
          }
          if (r.jobs < TICK_BATCH) break;
        }
        const next = await this.#guard(() => nextDueAt(this.sql, this.t));
        failures = 0;
        // Re-check at least every second: another node's change may have been missed. Ticks
        // run when the next slot enters the lookahead, at most every TICK_EVERY_MS: slots
        // falling due over that time share one transaction and are still materialised
        // (LOOKAHEAD_MS - TICK_EVERY_MS) ahead.
        delay = next === null
          ? 1000
          : Math.min(1000, Math.max(TICK_EVERY_MS, next - LOOKAHEAD_MS - Date.now() + 1));
      } catch (e) {
        if (!isTransient(e)) log.error("ticker: {error}", { error: String(e) });
        delay = backoffMs(failures++, 1000);
      }
      if (this.#tickerKick) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delay);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#tickerWake = done;
      });
      this.#tickerWake = null;
    }
  }

  async #reaperLoop(): Promise<void> {
    let failures = 0;
    const every = Math.max(100, Math.min(1000, this.leaseMs / 4));
    let prunedAt = 0;
    let again = false;
    while (!this.#stopping.signal.aborted) {
      let delay = every;
      try {
        if (Date.now() - prunedAt >= PRUNE_EVERY_MS) {
          // History beyond each job's history_limit goes, as compaction drops it embedded;
          // idempotency keys past their lifetime go too.
          await this.#guard(() => pruneHistory(this.sql, this.t));
          await this.#guard(() => pruneIdempotencyKeys(this.sql, this.t));
          prunedAt = Date.now();
        }
        // The nodes take turns (a look reads every open run); after a look that found runs to
        // reclaim, this node looks again at once for the rest.
        // (Times on the database's clock: a node's own clock may be off.)
        const at: Date | null = again
          ? null
          : await this.#guard(() => lookedAt(this.sql, this.t, every * 0.8));
        let n = 0;
        if (again || at !== null) {
          n = await this.#guard(() => reapExpired(this.sql, this.t, 100, this.#random));
          if (at !== null) await this.#guard(() => recordLook(this.sql, this.t, at));
        }
        again = n > 0;
        failures = 0;
        if (n > 0) {
          log.warn("reclaimed {count} run(s) whose lease expired", { count: n });
          this.wake();
          delay = 0;
        }
      } catch (e) {
        if (!isTransient(e)) log.error("reaper: {error}", { error: String(e) });
        delay = backoffMs(failures++, 1000);
      }
      await sleep(delay, this.#stopping.signal);
    }
  }

  #noteError(e: unknown, what: string): void {
    const message = String((e as Error)?.message ?? e);
    if (this.#dbError === null) {
      log.warn("database unreachable ({what}): {error}; retrying with backoff", {
        what,
        error: message,
      });
    }
    this.#dbError = message;
    this.#notifier.markDown();
  }

  async #record(type: "RUNTIME_STARTED" | "RUNTIME_STOPPED"): Promise<void> {
    const now = iso(Date.now());
    await this.sql.begin((tx) =>
      insertEvents(
        tx,
        this.t,
        [
          type === "RUNTIME_STARTED"
            ? { type, time: now, pid: Deno.pid, version: VERSION, host: this.nodeId }
            : { type, time: now },
        ],
      )
    );
  }
}
