/**
 * The cluster's read models: a job's status (in the shape of single-node mode, state named by
 * the shared precedence of src/policy), a page of statuses, a job's history and one run, read
 * from the `jobs` table and the runs (open ones in `run_queue`, finished ones in `run_history`,
 * both through the view `runs`).
 *
 * @example
 * ```ts
 * import { jobStatus } from "./views.ts";
 * // const status = await jobStatus(sql, t, "digest");
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import type { JobStateName, RunRecord } from "../engine/mod.ts";
import { jobStateOf } from "../policy/mod.ts";
import type { JobDefinitionRecord, JobKind, Outcome, RunTrigger } from "../events/mod.ts";
import type { Sql } from "./_sql.ts";
import { type ClusterJobStatus, type Tables, unknownJob } from "./jobs.ts";

/** Row of the status query. */
interface StatusRow {
  name: string;
  kind: JobKind;
  task: string;
  payload: unknown;
  def: JobDefinitionRecord;
  next_due_at: Date | null;
  cursor_at: Date | null;
  paused: boolean;
  paused_until: Date | null;
  stopped: boolean;
  consecutive_failures: number;
  running: number;
  pending: number;
  pending_retry: number;
  next_pending_at: Date | null;
  total_runs: number;
}

const STATUS_SELECT = (t: Tables) =>
  `SELECT j.name, j.kind, j.task, j.payload, j.def, j.next_due_at, j.cursor_at, j.paused,
     j.paused_until, j.stopped, j.consecutive_failures,
     a.running, a.pending, a.pending_retry, a.next_pending_at,
     j.pruned_runs + a.running + (SELECT count(*) FROM ${t.history} r
       WHERE r.job = j.name AND r.started_at IS NOT NULL) AS total_runs
   FROM ${t.jobs} j
   CROSS JOIN LATERAL (
     SELECT count(*) FILTER (WHERE r.status = 'running') AS running,
       count(*) FILTER (WHERE r.status = 'pending') AS pending,
       count(*) FILTER (WHERE r.status = 'pending' AND r.trigger = 'retry') AS pending_retry,
       min(r.run_at) FILTER (WHERE r.status = 'pending') AS next_pending_at
     FROM ${t.queue} r WHERE r.job = j.name
   ) a`;

/** Row of `runs`, as read models use it. */
type RunRow = Record<string, unknown>;

/**
 * A `runs` row as a single-node {@link RunRecord} (every field present, `null` where absent).
 * Attempts not started yet (pending) have no record; claimed ones read as running.
 *
 * @example
 * ```ts
 * import { runRecord } from "./views.ts";
 * // runRecord(row).outcome === null while running
 * ```
 */
export function runRecord(r: RunRow): RunRecord {
  const status = r.status as string;
  const outcome: Outcome | null = status === "running" || status === "pending"
    ? null
    : status as Outcome;
  const date = (v: unknown) => v instanceof Date ? v : null;
  return {
    id: r.id as string,
    job: r.job as string,
    scheduledAt: r.scheduled_at as Date,
    startedAt: date(r.started_at),
    finishedAt: date(r.finished_at),
    durationMs: (r.duration_ms as number | null) ?? null,
    attempt: r.attempt as number,
    outcome,
    error: (r.error as string | null) ?? null,
    exitCode: (r.exit_code as number | null) ?? null,
    idempotencyKey: r.idempotency_key as string,
    trigger: r.trigger as RunTrigger,
    jitterMs: (r.jitter_ms as number) ?? 0,
  };
}

function stateName(row: StatusRow): JobStateName {
  const s = row.def.schedule;
  return jobStateOf({
    orphaned: false,
    stopped: row.stopped,
    paused: row.paused,
    running: row.running,
    failing: row.consecutive_failures > 0 || row.pending_retry > 0,
    done: ("after" in s || "at" in s) && row.cursor_at !== null && row.pending === 0,
  });
}

function toStatus(row: StatusRow, recent: RunRow[]): ClusterJobStatus {
  const records = recent.map(runRecord);
  const finished = records.filter((r) => r.outcome !== null).reverse();
  const running = records.find((r) => r.outcome === null) ?? null;
  let next: number | null = null;
  if (!row.paused && !row.stopped) {
    for (const d of [row.next_due_at, row.next_pending_at]) {
      if (d !== null && (next === null || d.getTime() < next)) next = d.getTime();
    }
  }
  return {
    name: row.name,
    kind: row.kind,
    state: stateName(row),
    schedule: { ...row.def.schedule },
    description: row.def.description,
    nextRunAt: next === null ? null : new Date(next),
    pausedUntil: row.paused_until,
    running: row.running,
    consecutiveFailures: row.consecutive_failures,
    lastRun: running ?? finished[finished.length - 1] ?? null,
    recentRuns: finished,
    totalRuns: row.total_runs,
    // Late/down is embedded-only for now: the cluster refuses `grace` (validated at load).
    health: "ok",
    grace: null,
    downAfter: null,
    expectedAt: null,
    lateSince: null,
    lastSuccessAt: null,
    task: row.task,
    payload: row.payload ?? null,
  };
}

const RECENT = 5;

/**
 * Statuses of a page of jobs sorted by name (after `cursor`), plus the next cursor.
 *
 * @example
 * ```ts
 * import { jobStatuses } from "./views.ts";
 * // const { jobs, nextCursor } = await jobStatuses(sql, t, { limit: 100 });
 * ```
 */
export async function jobStatuses(
  sql: Sql,
  t: Tables,
  options: { cursor?: string | null; limit?: number; names?: string[] } = {},
): Promise<{ jobs: ClusterJobStatus[]; nextCursor: string | null }> {
  const limit = options.limit ?? 1000;
  const rows = options.names
    ? await sql.unsafe(
      `${STATUS_SELECT(t)} WHERE j.name = ANY($1::text[]) ORDER BY j.name`,
      [options.names],
    )
    : await sql.unsafe(
      `${STATUS_SELECT(t)} WHERE ($1::text IS NULL OR j.name > $1) ORDER BY j.name LIMIT $2`,
      [options.cursor ?? null, limit + 1],
    );
  const more = !options.names && rows.length > limit;
  const page = (more ? rows.slice(0, limit) : rows) as unknown as StatusRow[];
  const names = page.map((r) => r.name);
  const recent = new Map<string, RunRow[]>();
  if (names.length > 0) {
    const runs = await sql.unsafe(
      `SELECT r.* FROM unnest($1::text[]) AS n(name)
       CROSS JOIN LATERAL (
         SELECT * FROM ${t.runs} WHERE job = n.name AND status <> 'pending'
         ORDER BY id DESC LIMIT ${RECENT}
       ) r`,
      [names],
    );
    for (const r of runs) {
      const list = recent.get(r.job as string) ?? [];
      list.push(r);
      recent.set(r.job as string, list);
    }
  }
  return {
    jobs: page.map((r) => toStatus(r, recent.get(r.name) ?? [])),
    nextCursor: more ? names[names.length - 1] : null,
  };
}

/**
 * Status of one job.
 *
 * @example
 * ```ts
 * import { jobStatus } from "./views.ts";
 * // (await jobStatus(sql, t, "digest")).state
 * ```
 */
export async function jobStatus(sql: Sql, t: Tables, name: string): Promise<ClusterJobStatus> {
  const { jobs } = await jobStatuses(sql, t, { names: [name] });
  if (jobs.length === 0) throw unknownJob(name);
  return jobs[0];
}

/**
 * Past attempts of a job, most recent first (attempts not yet claimed are left out).
 *
 * @example
 * ```ts
 * import { jobHistory } from "./views.ts";
 * // await jobHistory(sql, t, "digest", 20)
 * ```
 */
export async function jobHistory(
  sql: Sql,
  t: Tables,
  name: string,
  limit = 20,
  before?: string,
): Promise<RunRecord[]> {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new KronError("invalid_option", `limit ${limit} must be an integer ≥ 1`);
  }
  // A cursor of the file store (`<runId>~…`) pages here by its run id: ids sort by time.
  const older = before === undefined ? "" : "AND id < $3";
  const rows = await sql.unsafe(
    `SELECT * FROM ${t.runs} WHERE job = $1 AND status <> 'pending' ${older} ` +
      `ORDER BY id DESC LIMIT $2`,
    before === undefined ? [name, limit] : [name, limit, before.split("~")[0]],
  );
  if (rows.length === 0) {
    const exists = await sql.unsafe(`SELECT 1 FROM ${t.jobs} WHERE name = $1`, [name]);
    if (exists.length === 0) throw unknownJob(name);
  }
  return rows.map(runRecord);
}

/**
 * One run attempt by id.
 *
 * @example
 * ```ts
 * import { findRun } from "./views.ts";
 * // await findRun(sql, t, "01J…")
 * ```
 */
export async function findRun(sql: Sql, t: Tables, runId: string): Promise<RunRecord> {
  const rows = await sql.unsafe(`SELECT * FROM ${t.runs} WHERE id = $1`, [runId]);
  if (rows.length === 0) throw new KronError("unknown_run", `no run with id "${runId}"`);
  return runRecord(rows[0]);
}
