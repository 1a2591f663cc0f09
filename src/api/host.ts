/**
 * What the admin API needs of the scheduler it serves. `Kron` has this shape; the API names
 * this interface rather than the class: src/kron/ sits above src/api/ and serves the API itself
 * (its `admin` option), so the API never imports it.
 *
 * @example
 * ```ts
 * import type { AdminHost } from "./host.ts";
 * const names = (host: AdminHost) => host.list().map((j) => j.name);
 * ```
 * @module
 */
import type {
  Engine,
  JobStatus,
  JobSummary,
  PauseOptions,
  Ping,
  RunRecord,
} from "../engine/mod.ts";
import type { KronEvent } from "../events/mod.ts";

/**
 * A single-node scheduler as the admin API sees it (a `Kron` on a file or memory store).
 *
 * @example
 * ```ts
 * import type { AdminHost } from "./host.ts";
 * import { Kron } from "../kron/mod.ts";
 * const host: AdminHost = new Kron({ store: "memory" });
 * ```
 */
export interface AdminHost {
  /** The data dir (socket, token, run logs), or null with a memory or custom store. */
  readonly dataDir: string | null;
  /** The engine underneath (state, definitions, running flag). */
  readonly engine: Engine;
  /** Status of one job. */
  status(name: string): JobStatus;
  /** Status of one job without its recent runs (what lists show). */
  summary(name: string): JobSummary;
  /** Status of every job, orphans included. */
  list(): JobStatus[];
  /** Past attempts of a job, most recent first. */
  history(name: string, options?: { limit?: number }): Promise<RunRecord[]>;
  /** A page of past attempts and the next (older) page's cursor, or null. */
  historyPage(
    name: string,
    options?: { limit?: number; before?: string },
  ): Promise<{ runs: RunRecord[]; next: string | null }>;
  /** Starts a run now; resolves to its id once `RUN_STARTED` is durable. */
  trigger(name: string): Promise<string>;
  /** Records a ping of a watched job; resolves to the run id it started or ended. */
  ping(name: string, ping: Ping): Promise<string>;
  /** Pauses a job (`{ for }` or `{ until }`). */
  pause(name: string, options?: PauseOptions): void | Promise<void>;
  /** Resumes a paused or stopped job. */
  resume(name: string): void | Promise<void>;
  /** Forgets an orphaned job. */
  forget(name: string): void;
  /** Writes a snapshot and drops covered log segments. */
  compact(): Promise<void>;
  /** Subscribes to committed events; returns the unsubscribe function. */
  onEvent(listener: (event: KronEvent) => void): () => void;
}
