/**
 * The options of a `Kron` (src/kron/kron.ts): where its state lives, the clock and randomness
 * it uses, and what it serves of the admin API.
 *
 * @module
 */
import type { Clock } from "../engine/mod.ts";
import type { JobKind } from "../events/mod.ts";
import type { Durability, RunEntry, Store } from "../store/mod.ts";
import type { ServeAdminOptions } from "../api/mod.ts";

/**
 * The admin API options of `Kron`: those of `serveAdmin` (src/api/serve.ts), the data dir
 * being the Kron's own.
 *
 * @example
 * ```ts
 * import type { KronAdminOptions } from "./options.ts";
 * const admin: KronAdminOptions = { http: "127.0.0.1:8080" };
 * ```
 */
export type KronAdminOptions = Omit<ServeAdminOptions, "dataDir">;

/** Options of `Kron`. */
export interface KronOptions {
  /** Data directory (default `KRON_DATA_DIR`, else `.kron` in the working directory). */
  dataDir?: string;
  /**
   * `"fsync"` (default): every event durable before it is acknowledged. `"batch"`: fsync at
   * most every few ms (a crash may lose the last few ms of events). `"none"`: no fsync (a
   * power loss may lose anything the OS had not written yet).
   */
  durability?: Durability;
  /**
   * A store of your own, `"memory"` for an ephemeral scheduler that persists nothing, or a
   * `postgres://` URL: embedded replicas, several processes sharing one database (cluster mode).
   */
  store?: Store | "memory" | `postgres://${string}` | `postgresql://${string}`;
  /** Default IANA time zone for cron jobs without their own. */
  timezone?: string;
  /** Time source (tests use a FakeClock). */
  clock?: Clock;
  /** Randomness for jitter and retry backoff. */
  random?: () => number;
  /**
   * Called for each run found unfinished after a crash, with its job's kind. The default stops
   * a command run's leftover process tree (guarded against pid reuse by the process start time;
   * a run that died before its `RUN_SPAWNED` is found by its `KRON_RUN_ID` marker).
   */
  onAbandoned?: (run: RunEntry, kind: JobKind) => void | Promise<void>;
  /**
   * How long before its due time a scheduled occurrence is recorded (`RUN_DUE`), so that its run
   * starts on the dot rather than after an fsync. Default 50 ms on a data dir, 0 (off) with a
   * memory store; 0 turns it off (each run then waits for its `RUN_STARTED` fsync).
   */
  leadMs?: number;
  /**
   * Cluster mode (`store: "postgres://…"`): schema (default `KRON_PG_SCHEMA`, else `kron`),
   * this process's node id, the lease of claimed runs and the polling fallback, in ms.
   */
  cluster?: { schema?: string; nodeId?: string; leaseMs?: number; pollMs?: number };
  /**
   * The admin API (docs/api.md), served by `Kron.start` until shutdown. By default on
   * `<dataDir>/kron.sock`, so `kron status --data-dir`, `trigger`, `pause` and the dashboard
   * reach this app as they reach `kron run`; `{ http: "127.0.0.1:8080" }` adds TCP (bearer
   * token), `reload` answers `POST /v1/reload`; `false` serves nothing. Without a data dir
   * (memory or custom store) there is no socket: only an explicit `http` is served. Without net
   * permission for the socket (`--allow-net=unix:<dataDir>/kron.sock`), or with a socket path
   * over the Unix limit, the app gets a one-line warning on stderr and runs on. Not in cluster
   * mode (`kron server` serves a cluster).
   */
  admin?: false | KronAdminOptions;
}
