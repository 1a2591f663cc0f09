/**
 * `overlap: "replace"` across claimers: the job's newest occurrence wins. A claim cancels the
 * earlier runs it can see, but two claimers racing on one job cannot see each other's
 * uncommitted claims (and skip each other's locked rows), so both may start a run. Each claimer
 * that claimed a replacing run therefore looks again once its claim has committed: whichever
 * look comes last sees both claims and cancels every running run of the job older than its
 * newest scheduled one, its own included. A run cancelled this way fails its next heartbeat,
 * which aborts its worker's signal, as any replaced run.
 *
 * @example
 * ```ts
 * import { settleReplaced } from "./_replace.ts";
 * // const cancelled = await settleReplaced(sql, t, ["report"]); // ids of runs cancelled
 * ```
 * @module
 */
import { isoSql, type Sql } from "./_sql.ts";
import { finishCtes } from "./_finish.ts";
import type { Tables } from "./jobs.ts";

/**
 * SQL: the row `alias` (a runs row, `""` for the bare table) is a scheduled occurrence's first
 * attempt, what `replace` and `skip` compare.
 *
 * @example
 * ```ts
 * import { isSlot } from "./_replace.ts";
 * isSlot("r"); // "r.trigger IN ('schedule', 'catchup') AND r.attempt = 1"
 * ```
 */
export function isSlot(alias: string): string {
  const p = alias === "" ? "" : `${alias}.`;
  return `${p}trigger IN ('schedule', 'catchup') AND ${p}attempt = 1`;
}

/**
 * Cancels, for each of `jobs`, every running run older than the job's newest running scheduled
 * occurrence, with its `RUN_CANCELLED` (reason `replace`); resolves to the ids cancelled.
 *
 * @example
 * ```ts
 * import { settleReplaced } from "./_replace.ts";
 * // if ((await settleReplaced(sql, t, ["j"])).includes(runId)) { … superseded … }
 * ```
 */
export async function settleReplaced(sql: Sql, t: Tables, jobs: string[]): Promise<string[]> {
  if (jobs.length === 0) return [];
  const rows = await sql.unsafe(
    `WITH newest AS (
       SELECT DISTINCT ON (job) job, scheduled_at, id FROM ${t.queue}
       WHERE job = ANY($1::text[]) AND status = 'running' AND ${isSlot("")}
       ORDER BY job, scheduled_at DESC, id DESC
     ), ${
      finishCtes(t, {
        name: "cancelled",
        using: "newest n",
        where: `r.job = n.job AND r.status = 'running'
         AND (r.scheduled_at, r.id) < (n.scheduled_at, n.id)`,
        status: "'cancelled'",
        error: "'cancelled (replace)'",
      })
    }, ev AS (
       INSERT INTO ${t.events} (time, type, job, run_id, data)
       SELECT x.finished_at, 'RUN_CANCELLED', x.job, x.id, jsonb_build_object(
         'type', 'RUN_CANCELLED', 'time', ${isoSql("x.finished_at")}, 'job', x.job,
         'runId', x.id, 'attempt', x.attempt, 'durationMs', x.duration_ms, 'exitCode', NULL,
         'reason', 'replace')
       FROM cancelled x
     )
     SELECT id FROM cancelled`,
    [jobs],
  );
  return rows.map((r) => r.id as string);
}
