/**
 * History pruning: a job keeps its newest `history_limit` finished attempts (and their
 * events), as compaction keeps them in single-node mode; older ones are deleted. Pending and
 * running attempts are never touched, and what went is counted in `jobs.pruned_runs`, so a
 * job's total of runs stays true. Each node's reaper loop calls {@link pruneHistory} now and
 * then; any number of nodes may run it at once (rows already gone are simply not found).
 *
 * @example
 * ```ts
 * import { pruneHistory } from "./history.ts";
 * // const removed = await pruneHistory(sql, t);
 * ```
 * @module
 */
import { DEFAULT_POLICY } from "../policy/mod.ts";
import type { Sql } from "./_sql.ts";
import type { Tables } from "./jobs.ts";

/** Runs a job keeps when its definition does not say (the embedded default). */
const DEFAULT_HISTORY_LIMIT = DEFAULT_POLICY.historyLimit;

/**
 * Deletes finished attempts beyond each job's `history_limit` (and the events that name
 * them), in one transaction. Resolves to how many attempts went.
 *
 * @example
 * ```ts
 * import { pruneHistory } from "./history.ts";
 * // await pruneHistory(sql, t); // 0 when every job is within its limit
 * ```
 */
export async function pruneHistory(sql: Sql, t: Tables): Promise<number> {
  const rows = await sql.unsafe(
    `WITH over AS (
       SELECT r.id, r.job FROM (
         SELECT r.id, r.job, row_number() OVER (PARTITION BY r.job ORDER BY r.id DESC) AS n,
           coalesce((j.def->'policy'->>'historyLimit')::int, ${DEFAULT_HISTORY_LIMIT}) AS keep
         FROM ${t.history} r LEFT JOIN ${t.jobs} j ON j.name = r.job
       ) r WHERE r.n > r.keep
     ), gone AS (
       DELETE FROM ${t.history} r USING over o
       WHERE r.id = o.id
       RETURNING r.id, r.job, r.started_at
     ), ev AS (
       DELETE FROM ${t.events} e USING gone g WHERE e.job = g.job AND e.run_id = g.id
     ), counted AS (
       UPDATE ${t.jobs} j SET pruned_runs = j.pruned_runs + c.n
       FROM (SELECT job, count(*) FILTER (WHERE started_at IS NOT NULL) AS n
             FROM gone GROUP BY job) c
       WHERE j.name = c.job AND c.n > 0
     )
     SELECT count(*)::int AS n FROM gone`,
  );
  return rows[0].n as number;
}
