/**
 * Jobs in the database: define (create or update), remove, pause, resume, trigger (the read
 * models are in views.ts). Every change appends the same events as the embedded engine and
 * NOTIFYs the other nodes.
 *
 * Definition rules follow DESIGN §3: an unchanged definition keeps its state; a changed
 * schedule re-anchors from now; a paused job stays paused; a change resets the failure count.
 *
 * @example
 * ```ts
 * import { defineJob } from "./jobs.ts";
 * // await defineJob(sql, tables("kron"), "digest", { every: "30m", task: "send_digest" });
 * ```
 * @module
 */
import { KronError, TriggerRefusedError } from "../errors.ts";
import {
  buildDefinition,
  hash,
  type JobOptions,
  type JobStatus,
  type PauseOptions,
} from "../engine/mod.ts";
import { ulid } from "../ulid.ts";
import { pauseUntil } from "../policy/mod.ts";
import { anchorFor, type CompiledSchedule, compileSchedule } from "../schedule/mod.ts";
import type { JobDefinitionRecord, JobKind, KronEvent } from "../events/mod.ts";
import { insertEvents, iso } from "./_events.ts";
import { atomically, type Db, type Sql, type tables } from "./_sql.ts";

/**
 * Table names of one schema (from `tables()`).
 *
 * @example
 * ```ts
 * import type { Tables } from "./jobs.ts";
 * const jobsTable = (t: Tables) => t.jobs;
 * ```
 */
export type Tables = ReturnType<typeof tables>;

/**
 * A cluster job: the single-node options plus the task workers run and its JSON payload.
 *
 * @example
 * ```ts
 * import type { ClusterJobOptions } from "./jobs.ts";
 * const o: ClusterJobOptions = { every: "30m", task: "send_digest", payload: { list: "daily" } };
 * ```
 */
export interface ClusterJobOptions extends JobOptions {
  /** The task name workers register (default: the job name). */
  task?: string;
  /** JSON handed to the task on every run. */
  payload?: unknown;
}

/**
 * A job's status plus what only cluster jobs have.
 *
 * @example
 * ```ts
 * import type { ClusterJobStatus } from "./jobs.ts";
 * const label = (s: ClusterJobStatus) => `${s.name} → ${s.task}`;
 * ```
 */
export interface ClusterJobStatus extends JobStatus {
  task: string;
  payload: unknown;
}

const scheduleCache = new Map<string, CompiledSchedule>();

/**
 * The compiled schedule of a stored definition (shared between jobs with the same one).
 *
 * @example
 * ```ts
 * import { scheduleOf } from "./jobs.ts";
 * scheduleOf({ every: "1s", startAt: null }).next(null, 0); // 0
 * ```
 */
export function scheduleOf(schedule: JobDefinitionRecord["schedule"]): CompiledSchedule {
  const key = JSON.stringify(schedule);
  let s = scheduleCache.get(key);
  if (!s) {
    s = compileSchedule(schedule);
    if (scheduleCache.size > 10_000) scheduleCache.clear();
    scheduleCache.set(key, s);
  }
  return s;
}

/**
 * The database's clock (the cluster's one time source), as epoch ms.
 *
 * @example
 * ```ts
 * import { dbNow } from "./jobs.ts";
 * // const now = await dbNow(sql);
 * ```
 */
export async function dbNow(sql: Db): Promise<number> {
  const rows = await sql.unsafe(`SELECT clock_timestamp() AS now`);
  return (rows[0].now as Date).getTime();
}

/**
 * Sends a wake-up to every node of the schema (delivered when the transaction commits).
 *
 * @example
 * ```ts
 * import { notify } from "./jobs.ts";
 * // await notify(tx, t, "jobs");
 * ```
 */
export async function notify(tx: Db, t: Tables, payload: string): Promise<void> {
  await tx.unsafe(`SELECT pg_notify($1, $2)`, [t.channel, payload]);
}

const TASK_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Un-materialises a job's slots that are not due yet (runs the ticker created ahead of time,
 * still pending): deletes them and moves the job's next slot back to the earliest, so the
 * ticker re-creates them under the job's new state (a new definition) or not at all (paused,
 * stopped: resuming skips the slots that fell due meanwhile). The caller holds the job's row.
 * Returns how many runs went.
 *
 * @example
 * ```ts
 * import { unmaterialise } from "./jobs.ts";
 * // await unmaterialise(tx, t, "digest");
 * ```
 */
export async function unmaterialise(tx: Db, t: Tables, name: string): Promise<number> {
  const rows = await tx.unsafe(
    `WITH gone AS (
       DELETE FROM ${t.queue} WHERE job = $1 AND status = 'pending'
         AND attempt = 1
         AND trigger = 'schedule' AND scheduled_at > clock_timestamp()
       RETURNING scheduled_at
     ), first AS (SELECT min(scheduled_at) AS at, count(*)::int AS n FROM gone)
     UPDATE ${t.jobs} j SET next_due_at = f.at,
       cursor_at = CASE WHEN j.cursor_at >= f.at THEN NULL ELSE j.cursor_at END
     FROM first f WHERE j.name = $1 AND f.at IS NOT NULL
     RETURNING f.n`,
    [name],
  );
  return rows.length === 0 ? 0 : rows[0].n as number;
}

/**
 * Checks a task name.
 *
 * @example
 * ```ts
 * import { validateTask } from "./jobs.ts";
 * validateTask("send_digest"); // "send_digest"
 * ```
 */
export function validateTask(task: unknown): string {
  if (typeof task !== "string" || !TASK_NAME.test(task)) {
    throw new KronError(
      "invalid_option",
      `task ${
        JSON.stringify(task)
      } is invalid: use 1-128 of A-Z a-z 0-9 . _ : - starting with a letter or digit`,
    );
  }
  return task;
}

/**
 * Creates or updates a job. Resolves to whether it was created and whether anything changed.
 *
 * @example
 * ```ts
 * import { defineJob } from "./jobs.ts";
 * // await defineJob(sql, t, "digest", { cron: "0 8 * * *", task: "send_digest" });
 * ```
 */
export async function defineJob(
  sql: Sql,
  t: Tables,
  name: string,
  options: ClusterJobOptions,
  kind: JobKind = "task",
): Promise<{ created: boolean; changed: boolean }> {
  const { task: rawTask, payload, ...jobOptions } = options ?? {};
  // Late/down and watched jobs live in the embedded engine's watcher; the cluster has none yet.
  for (const field of ["grace", "downAfter", "watch"] as const) {
    if (field in jobOptions && (jobOptions as Record<string, unknown>)[field] !== undefined) {
      throw new KronError(
        "invalid_option",
        `job "${name}": ${field} is not supported in cluster mode yet (late/down and watched ` +
          `jobs need a single-node runtime: kron run)`,
      );
    }
  }
  const task = validateTask(rawTask ?? name);
  if (payload !== undefined) {
    try {
      JSON.stringify(payload);
    } catch {
      throw new KronError("invalid_option", `job "${name}": payload must be JSON`);
    }
  }
  const { def, defHash: base } = buildDefinition(name, jobOptions, kind);
  const defHash = hash(JSON.stringify([base, task, payload ?? null]));
  const schedule = scheduleOf(def.schedule);
  return await atomically(sql, async (tx) => {
    // FOR UPDATE locks nothing while the row does not exist yet: replicas registering the same
    // new job at once would each pick their own anchor, the last one overwriting slots already
    // materialised on the first (a 31 ms shifted `every` grid, seen under load). One lock per
    // job name serialises first registrations.
    await tx.unsafe(`SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`, [t.jobs, name]);
    const now = await dbNow(tx);
    let rows = await tx.unsafe(`SELECT * FROM ${t.jobs} WHERE name = $1 FOR UPDATE`, [name]);
    if (rows[0] && rows[0].def_hash === defHash) return { created: false, changed: false };
    // Slots materialised ahead under the old definition go; the ticker re-creates them.
    if (rows[0] && await unmaterialise(tx, t, name) > 0) {
      rows = await tx.unsafe(`SELECT * FROM ${t.jobs} WHERE name = $1`, [name]);
    }
    const old = rows[0];
    const scheduleChanged = !old ||
      JSON.stringify(old.def.schedule) !== JSON.stringify(def.schedule);
    const anchor = scheduleChanged
      ? anchorFor(def.schedule, now)
      : (old.anchor_at as Date).getTime();
    const cursor = scheduleChanged ? null : (old.cursor_at as Date | null)?.getTime() ?? null;
    // The failure count resets: an unchanged schedule returns from a backoff's delayed slot.
    const next = scheduleChanged
      ? schedule.next(null, anchor)
      : earliest(old.next_due_at as Date | null, old.backoff_from as Date | null);
    const paused = Boolean(old?.paused) || (jobOptions.paused ?? false);
    await tx.unsafe(
      `INSERT INTO ${t.jobs} (name, kind, task, payload, def, def_hash, anchor_at, cursor_at,
         next_due_at, paused, stopped, consecutive_failures)
       VALUES ($1, $2, $3, $4::text::jsonb, $5::text::jsonb, $6, $7::timestamptz, $8::timestamptz,
         $9::timestamptz, $10, false, 0)
       ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, task = excluded.task,
         payload = excluded.payload, def = excluded.def, def_hash = excluded.def_hash,
         anchor_at = excluded.anchor_at, cursor_at = excluded.cursor_at,
         next_due_at = excluded.next_due_at, paused = excluded.paused, stopped = false,
         consecutive_failures = 0, backoff_from = NULL, updated_at = now()`,
      [
        name,
        kind,
        task,
        payload === undefined ? null : JSON.stringify(payload),
        JSON.stringify(def),
        defHash,
        iso(anchor),
        cursor === null ? null : iso(cursor),
        next === null ? null : iso(next),
        paused,
      ],
    );
    await insertEvents(tx, t, [{
      type: "JOB_DEFINED",
      time: iso(now),
      job: name,
      def,
      defHash,
      anchorAt: iso(anchor),
      paused,
    }]);
    await notify(tx, t, "jobs");
    return { created: !old, changed: true };
  });
}

function earliest(a: Date | null, b: Date | null): number | null {
  if (a === null || b === null) return (a ?? b)?.getTime() ?? null;
  return Math.min(a.getTime(), b.getTime());
}

/**
 * The error for a job name the cluster does not know (404 over the API).
 *
 * @example
 * ```ts
 * import { unknownJob } from "./jobs.ts";
 * unknownJob("digest").code; // "unknown_job"
 * ```
 */
export function unknownJob(name: string): KronError {
  return new KronError("unknown_job", `no job named "${name}"`);
}

/**
 * Deletes a job: its pending runs go with it; attempts in flight may still complete.
 *
 * @example
 * ```ts
 * import { removeJob } from "./jobs.ts";
 * // await removeJob(sql, t, "digest");
 * ```
 */
export async function removeJob(sql: Sql, t: Tables, name: string): Promise<void> {
  await sql.begin(async (tx) => {
    const now = await dbNow(tx);
    const rows = await tx.unsafe(`DELETE FROM ${t.jobs} WHERE name = $1 RETURNING name`, [name]);
    if (rows.length === 0) throw unknownJob(name);
    await tx.unsafe(
      `DELETE FROM ${t.queue} WHERE job = $1 AND status = 'pending'`,
      [name],
    );
    await insertEvents(tx, t, [{ type: "JOB_REMOVED", time: iso(now), job: name }]);
    await notify(tx, t, "jobs");
  });
}

/**
 * Pauses a job, optionally `{ for }` or `{ until }`: nothing new starts; attempts in flight
 * finish; pending retries wait for the resume.
 *
 * @example
 * ```ts
 * import { pauseJob } from "./jobs.ts";
 * // await pauseJob(sql, t, "digest", { for: "2h" });
 * ```
 */
export async function pauseJob(
  sql: Sql,
  t: Tables,
  name: string,
  options: PauseOptions = {},
): Promise<void> {
  await sql.begin(async (tx) => {
    const now = await dbNow(tx);
    const until = pauseUntil(options, now);
    const rows = await tx.unsafe(
      `UPDATE ${t.jobs} SET paused = true, paused_until = $2::timestamptz, updated_at = now()
       WHERE name = $1 RETURNING name`,
      [name, until === null ? null : iso(until)],
    );
    if (rows.length === 0) throw unknownJob(name);
    await unmaterialise(tx, t, name);
    await insertEvents(tx, t, [{
      type: "JOB_PAUSED",
      time: iso(now),
      job: name,
      until: until === null ? null : iso(until),
    }]);
    await notify(tx, t, "jobs");
  });
}

/**
 * Resumes a paused job, or re-enables one stopped by `onError: "stop"`. Occurrences that fell
 * inside the pause are skipped (`RUN_SKIPPED` paused), not caught up.
 *
 * @example
 * ```ts
 * import { resumeJob } from "./jobs.ts";
 * // await resumeJob(sql, t, "digest");
 * ```
 */
export async function resumeJob(sql: Sql, t: Tables, name: string): Promise<void> {
  await sql.begin(async (tx) => {
    const now = await dbNow(tx);
    const rows = await tx.unsafe(`SELECT * FROM ${t.jobs} WHERE name = $1 FOR UPDATE`, [name]);
    if (rows.length === 0) throw unknownJob(name);
    await resumeLocked(tx, t, rows[0], now);
  });
}

/**
 * Resumes a job whose row the caller has locked (also used for timed pauses running out).
 *
 * @example
 * ```ts
 * import { resumeLocked } from "./jobs.ts";
 * // await resumeLocked(tx, t, row, now);
 * ```
 */
export async function resumeLocked(
  tx: Db,
  t: Tables,
  row: Record<string, unknown>,
  now: number,
): Promise<void> {
  const name = row.name as string;
  const def = row.def as JobDefinitionRecord;
  const schedule = scheduleOf(def.schedule);
  const anchor = (row.anchor_at as Date).getTime();
  const due = (row.next_due_at as Date | null)?.getTime() ?? null;
  const events: KronEvent[] = [{ type: "JOB_RESUMED", time: iso(now), job: name }];
  let next = due, cursor = (row.cursor_at as Date | null)?.getTime() ?? null;
  if (due !== null && due <= now) {
    events.push({
      type: "RUN_SKIPPED",
      time: iso(now),
      job: name,
      scheduledAt: iso(due),
      reason: "paused",
      until: iso(now),
    });
    cursor = now;
    next = schedule.next(now, anchor);
  }
  await tx.unsafe(
    `UPDATE ${t.jobs} SET paused = false, paused_until = NULL, stopped = false,
       consecutive_failures = CASE WHEN stopped THEN 0 ELSE consecutive_failures END,
       next_due_at = $2::timestamptz, cursor_at = $3::timestamptz, updated_at = now()
     WHERE name = $1`,
    [name, next === null ? null : iso(next), cursor === null ? null : iso(cursor)],
  );
  // Pending retries that waited out the pause may start now.
  await tx.unsafe(
    `UPDATE ${t.queue} SET run_at = greatest(run_at, $2::timestamptz)
     WHERE job = $1 AND status = 'pending'`,
    [name, iso(now)],
  );
  await insertEvents(tx, t, events);
  await notify(tx, t, "jobs");
  await notify(tx, t, `runs:${now}`);
}

/**
 * Queues a run now (`trigger: "manual"`, key `job:manual:<runId>`): a worker claims it like any
 * other. Refused under `overlap: "skip"` while the job has a run pending or in flight.
 *
 * @example
 * ```ts
 * import { triggerJob } from "./jobs.ts";
 * // const runId = await triggerJob(sql, t, "digest");
 * ```
 */
export async function triggerJob(sql: Sql, t: Tables, name: string): Promise<string> {
  return await atomically(sql, async (tx) => {
    const now = await dbNow(tx);
    const rows = await tx.unsafe(`SELECT * FROM ${t.jobs} WHERE name = $1 FOR UPDATE`, [name]);
    if (rows.length === 0) throw unknownJob(name);
    const def = rows[0].def as JobDefinitionRecord;
    if (def.policy.overlap === "skip") {
      const busy = await tx.unsafe(
        // Slots materialised ahead of their due time do not make the job busy.
        `SELECT 1 FROM ${t.queue} WHERE job = $1
           AND (status = 'running' OR (status = 'pending'
           AND (trigger <> 'schedule' OR scheduled_at <= clock_timestamp()))) LIMIT 1`,
        [name],
      );
      if (busy.length > 0) {
        throw new TriggerRefusedError(
          `job "${name}" is already running and overlap is "skip"; try again when it finishes`,
        );
      }
    }
    const runId = ulid(now);
    await tx.unsafe(
      `INSERT INTO ${t.queue} (id, job, task, payload, scheduled_at, idempotency_key, attempt,
         trigger, status, run_at, timeout_ms)
       SELECT $1, name, task, payload, $2::timestamptz, $3, 1, 'manual', 'pending',
         $2::timestamptz, $4 FROM ${t.jobs} WHERE name = $5`,
      [runId, iso(now), `${name}:manual:${runId}`, def.policy.timeoutMs, name],
    );
    await notify(tx, t, `runs:${now}`);
    return runId;
  });
}
