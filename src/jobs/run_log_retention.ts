/**
 * Retention of the per-run logs (`<dataDir>/runs/<job>/<runId>.log`): each job keeps its
 * newest logs, as many as the runs its history keeps (`history_limit`), and the older ones are
 * deleted in the background, in batches, never on a run's path.
 *
 * Run ids are ULIDs, so a log's name orders it by the run's creation: the newest `keep` names
 * are the logs of the newest runs. A run that printed nothing has no log, so the newest `keep`
 * logs always include the log of every run among the newest `keep` runs, which is what history
 * holds after compaction.
 *
 * @example
 * ```ts
 * import { RunLogRetention } from "./run_log_retention.ts";
 * const retention = new RunLogRetention(".kron/runs");
 * retention.created("backup", 200); // after a run of "backup" created its log
 * await retention.idle();
 * ```
 * @module
 */
import { assertPathComponent } from "./run_log.ts";

/**
 * Logs a job may gain beyond its `keep` before a prune of its directory is queued: a quarter
 * of `keep`, at least 16.
 *
 * @example
 * ```ts
 * import { pruneSlack } from "./run_log_retention.ts";
 * pruneSlack(200); // 50
 * ```
 */
export function pruneSlack(keep: number): number {
  return Math.max(16, Math.ceil(keep / 4));
}

/** Removals a prune makes before it yields to the event loop. */
const REMOVALS_PER_SLICE = 64;

/**
 * Deletes a job's oldest run logs so that the newest `keep` remain (by name: run ids are
 * ULIDs). Files not named `<id>.log` are left alone; a missing directory is not an error.
 * Yields to the event loop every 64 removals. Returns how many logs were deleted.
 *
 * @example
 * ```ts
 * import { keepNewestRunLogs } from "./run_log_retention.ts";
 * const deleted = await keepNewestRunLogs(".kron/runs", "backup", 200);
 * ```
 */
export async function keepNewestRunLogs(
  logDir: string,
  job: string,
  keep: number,
): Promise<number> {
  assertPathComponent("job", job);
  const dir = `${logDir}/${job}`;
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".log")) names.push(entry.name);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
  if (names.length <= keep) return 0;
  names.sort();
  const old = names.slice(0, names.length - Math.max(0, keep));
  let deleted = 0;
  for (let i = 0; i < old.length; i++) {
    try {
      await Deno.remove(`${dir}/${old[i]}`);
      deleted++;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if ((i + 1) % REMOVALS_PER_SLICE === 0) await new Promise((r) => setTimeout(r, 0));
  }
  return deleted;
}

/**
 * Counts the logs each job creates and, once a job has gained {@link pruneSlack} of them
 * since its last prune (and once at its first log, for what an earlier life left), queues a
 * prune of that job's directory. Prunes run one at a time, in the background.
 */
export class RunLogRetention {
  readonly #logDir: string;
  readonly #onError: (job: string, error: unknown) => void;
  /** Logs created per job since its last prune; absent until the job's first log. */
  readonly #since = new Map<string, number>();
  readonly #queued = new Map<string, number>();
  #running: Promise<void> | null = null;

  /** `onError` hears of a prune that failed (the next one tries again). */
  constructor(logDir: string, onError: (job: string, error: unknown) => void = () => {}) {
    this.#logDir = logDir;
    this.#onError = onError;
  }

  /** A run of `job` created its log; the job keeps its newest `keep` logs. */
  created(job: string, keep: number): void {
    const since = this.#since.get(job);
    if (since !== undefined && since + 1 < pruneSlack(keep)) {
      this.#since.set(job, since + 1);
      return;
    }
    this.#since.set(job, 0);
    this.#queued.set(job, keep);
    this.#running ??= this.#drain();
  }

  /** Resolves once no prune is queued or running. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    // Starts after the run that queued it has moved on.
    await new Promise((r) => setTimeout(r, 0));
    try {
      for (const [job, keep] of this.#queued) {
        this.#queued.delete(job);
        try {
          await keepNewestRunLogs(this.#logDir, job, keep);
        } catch (e) {
          this.#onError(job, e);
        }
      }
    } finally {
      this.#running = null;
    }
  }
}
