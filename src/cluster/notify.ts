/**
 * Wake-ups between nodes over LISTEN/NOTIFY. Writers send a short payload on the schema's
 * channel when their transaction commits (`runs:<epoch ms>` when runs become claimable at that
 * time, `jobs` when definitions or pauses change); every node listens and wakes its waiting
 * claims and its ticker at once, so a due run reaches a long-polling worker in milliseconds.
 *
 * Polling is only the fallback: while the LISTEN connection is down (PostgreSQL restarting,
 * or a Postgres-compatible database without LISTEN/NOTIFY) the node polls on a short
 * interval, and after every (re)connect it wakes everything once, since notifications sent
 * while it was away are lost.
 *
 * @example
 * ```ts
 * import { Notifier } from "./notify.ts";
 * // const n = new Notifier(sql, "kron_kron", (payload) => console.log(payload));
 * // await n.start(); … await n.stop();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Sql } from "./_sql.ts";
import { backoffMs, sleep } from "../sleep.ts";

const log = getLogger(["kron", "cluster", "notify"]);

/**
 * Listens on one channel, reconnecting with backoff.
 *
 * @example
 * ```ts
 * import { Notifier } from "./notify.ts";
 * // const n = new Notifier(sql, "kron_kron", onPayload); await n.start();
 * // n.listening; // true once LISTEN is in place
 * ```
 */
export class Notifier {
  readonly #sql: Sql;
  readonly #channel: string;
  readonly #onPayload: (payload: string) => void;
  readonly #stopping = new AbortController();
  #unlisten: (() => Promise<void>) | null = null;
  #listening = false;
  #loop: Promise<void> | null = null;

  /** `onPayload` gets each payload, and `"*"` after every (re)connect. */
  constructor(sql: Sql, channel: string, onPayload: (payload: string) => void) {
    this.#sql = sql;
    this.#channel = channel;
    this.#onPayload = onPayload;
  }

  /** True while LISTEN is in place (else callers poll). */
  get listening(): boolean {
    return this.#listening;
  }

  /** Starts listening in the background (never rejects: it retries until stopped). */
  start(): void {
    this.#loop ??= this.#run();
  }

  async #run(): Promise<void> {
    for (let failures = 0; !this.#stopping.signal.aborted; failures++) {
      try {
        const meta = await this.#sql.listen(
          this.#channel,
          (payload: string) => this.#onPayload(payload),
          () => {
            // Called on the first LISTEN and again after each reconnect.
            this.#listening = true;
            this.#onPayload("*");
          },
        );
        this.#unlisten = meta.unlisten;
        return;
      } catch (e) {
        this.#listening = false;
        if (this.#stopping.signal.aborted) return;
        if (failures === 0) {
          log.warn("LISTEN {channel} failed ({error}); polling until it works", {
            channel: this.#channel,
            error: String((e as Error)?.message ?? e),
          });
        }
        await sleep(backoffMs(failures), this.#stopping.signal);
      }
    }
  }

  /** Marks the listener down (the node saw a connection error): callers poll faster. */
  markDown(): void {
    this.#listening = false;
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#listening = false;
    await this.#loop?.catch(() => {});
    await this.#unlisten?.().catch(() => {});
  }
}
