/**
 * Finishing runs: a run leaves `run_queue` (a DELETE, which writes no index entry and no new
 * row version) and is written once into `run_history` with its outcome, in one statement
 * (schema version 8). Every way a run ends goes through {@link finishCtes}: success, failure,
 * a lost lease, a cancellation by `overlap: "replace"`.
 *
 * @example
 * ```ts
 * import { finishCtes } from "./_finish.ts";
 * import { tables } from "./_sql.ts";
 * const sql = `WITH ${
 *   finishCtes(tables("kron"), { name: "done", where: "r.id = $1", status: "'succeeded'" })
 * } SELECT id FROM done`;
 * ```
 * @module
 */

/** The columns a run has while open; `run_history` has them and what finishing adds. */
const OPEN_COLUMNS = "id, job, task, payload, scheduled_at, idempotency_key, attempt, trigger, " +
  "jitter_ms, timeout_ms, run_at, fencing_token, worker, started_at, started_seq, created_at";

/**
 * How {@link finishCtes} ends runs: which (`where`, on the queue row `r`, with `using` joined
 * in), and the outcome as SQL expressions (`status`; `error` and `exitCode` default to NULL).
 * `doneSeq` gives each run a position in the event stream (its RUN_SUCCEEDED).
 *
 * @example
 * ```ts
 * import type { FinishOptions } from "./_finish.ts";
 * const o: FinishOptions = { name: "gone", where: "r.id = $1", status: "'failed'", error: "$2" };
 * ```
 */
export interface FinishOptions {
  /** Name of the CTE returning the finished runs' history rows (with `RETURNING *`). */
  name: string;
  where: string;
  using?: string;
  status: string;
  error?: string;
  exitCode?: string;
  doneSeq?: string;
}

/**
 * Two CTEs (for a `WITH`): `<name>_open` deletes the runs from the queue, `<name>` writes them
 * into the history, finished now (`finished_at`, and `duration_ms` for those that started),
 * and returns their history rows.
 *
 * @example
 * ```ts
 * import { finishCtes } from "./_finish.ts";
 * import { tables } from "./_sql.ts";
 * finishCtes(tables("kron"), { name: "gone", where: "r.id = $1", status: "'abandoned'" });
 * ```
 */
export function finishCtes(t: { queue: string; history: string }, o: FinishOptions): string {
  const cols = OPEN_COLUMNS.split(", ").map((c) => `g.${c}`).join(", ");
  return `${o.name}_open AS (
       DELETE FROM ${t.queue} r ${o.using === undefined ? "" : `USING ${o.using}`}
       WHERE ${o.where}
       RETURNING r.*, clock_timestamp() AS finished_at
     ), ${o.name} AS (
       INSERT INTO ${t.history} (${OPEN_COLUMNS}, status, lease_until, finished_at,
         duration_ms, error, exit_code, done_seq)
       SELECT ${cols}, ${o.status}, NULL, g.finished_at,
         CASE WHEN g.started_at IS NULL THEN NULL
           ELSE (extract(epoch FROM g.finished_at - g.started_at) * 1000)::int END,
         ${o.error ?? "NULL"}, ${o.exitCode ?? "NULL"}, ${o.doneSeq ?? "NULL"}
       FROM ${o.name}_open g
       RETURNING *
     )`;
}
