/**
 * The outcomes a worker has to report, delivered in batches: successes that finish within a
 * few ms of each other travel in one `POST /v1/complete` (one statement and one transaction on
 * the node, each run fenced on its own token), failures one by one. One request travels at a
 * time, so batches stay large; one unanswered for 250 ms (a node slow to answer) no longer
 * holds the outcomes queued since: they leave in a request of their own, which the node set
 * sends to a quicker node (up to 4 at once). Undelivered outcomes are
 * retried with backoff until the cluster answers definitely (accepted, or refused: a 409/404
 * is logged and not retried) or ten minutes pass.
 *
 * @example
 * ```ts
 * import { Outbox } from "./_outbox.ts";
 * const outbox = new Outbox(async () => new Response("{}"), 2);
 * // await new Promise<void>((resolve) => outbox.push({ run, error: null, timedOut: false, resolve, giveUpAt }));
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { KronError } from "../errors.ts";
import { backoffMs, sleep } from "../sleep.ts";
import type { ClaimedRun } from "./claims.ts";
import { SLOW_MS } from "../http/client.ts";

const log = getLogger(["kron", "cluster", "worker"]);

/** Most outcomes one `POST /v1/complete` carries. */
const COMPLETE_BATCH = 500;
/**
 * A request unanswered this long (ms) no longer holds the outcomes queued behind it: the time
 * after which the node set passes over the node holding it (one threshold for both).
 */
const HELD_MS = SLOW_MS;
/** Most requests of outcomes travelling at once. */
const MAX_SENDERS = 4;

/**
 * One loop sending the queue; `since` is when its request left (performance.now()), null while
 * it backs off.
 */
interface Sender {
  since: number | null;
}

/**
 * One outcome to deliver; `resolve` is called once it is delivered or given up.
 *
 * @example
 * ```ts
 * import type { Outcome } from "./_outbox.ts";
 * const failed = (o: Outcome) => o.error !== null;
 * ```
 */
export interface Outcome {
  run: ClaimedRun;
  error: string | null;
  timedOut: boolean;
  resolve: () => void;
  giveUpAt: number;
}

/**
 * Errors worth retrying: no answer at all, or the cluster said "not now" (5xx, 429).
 *
 * @example
 * ```ts
 * import { retriable } from "./_outbox.ts";
 * retriable(new TypeError("connection reset")); // true
 * ```
 */
export function retriable(e: unknown): boolean {
  if (e instanceof KronError && "status" in e) {
    const status = (e as unknown as { status: number }).status;
    return status >= 500 || status === 429;
  }
  return true;
}

/**
 * The outbox (see the module doc). `post` sends one request to the cluster (moving on to
 * another node when one fails) and throws on an error answer.
 *
 * @example
 * ```ts
 * import { Outbox } from "./_outbox.ts";
 * const outbox = new Outbox(async () => new Response('{"accepted":[],"rejected":[]}'), 2);
 * outbox.busy; // false
 * ```
 */
export class Outbox {
  readonly #post: (path: string, body: unknown) => Promise<Response>;
  readonly #batchMs: number;
  readonly #queue: Outcome[] = [];
  readonly #senders: Sender[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | null = null;

  /** An outbox sending through `post`, gathering outcomes for `batchMs`. */
  constructor(post: (path: string, body: unknown) => Promise<Response>, batchMs: number) {
    this.#post = post;
    this.#batchMs = batchMs;
  }

  /** True while outcomes wait or travel. */
  get busy(): boolean {
    return this.#queue.length > 0 || this.#senders.length > 0;
  }

  /** Queues an outcome; it leaves within `batchMs` (at once when a batch is full). */
  push(o: Outcome): void {
    this.#queue.push(o);
    this.#schedule();
  }

  /** Sends the queue soon: outcomes of the next few ms travel together. */
  #schedule(): void {
    if (this.#queue.length >= COMPLETE_BATCH || this.#batchMs === 0) {
      this.#flush();
    } else {
      this.#flushTimer ??= setTimeout(() => this.#flush(), this.#batchMs);
    }
  }

  /**
   * Sends the queue with a sender of its own, unless one is sending and not held: its request
   * left less than HELD_MS ago (then looks again when it has been), or it is backing off (the
   * cluster is failing: more requests would not help). A sender takes the queue once its
   * request is answered.
   */
  #flush(): void {
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    if (this.#queue.length === 0 || this.#senders.length >= MAX_SENDERS) return;
    let youngest = -Infinity;
    for (const { since } of this.#senders) {
      if (since === null) return;
      youngest = Math.max(youngest, since);
    }
    const wait = youngest + HELD_MS - performance.now();
    if (wait > 0) {
      this.#flushTimer = setTimeout(() => this.#flush(), wait);
      return;
    }
    const sender: Sender = { since: null };
    this.#senders.push(sender);
    this.#send(sender).finally(() => this.#senders.splice(this.#senders.indexOf(sender), 1));
  }

  /** Sends queued outcomes until none is left: successes together, failures one by one. */
  async #send(sender: Sender): Promise<void> {
    let failures = 0;
    while (this.#queue.length > 0) {
      sender.since = performance.now();
      const batch = this.#queue.splice(0, COMPLETE_BATCH);
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
        sender.since = performance.now();
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
          } else this.#queue.push(o);
        }
        sender.since = null;
        await sleep(backoffMs(failures++));
      } else failures = 0;
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
