/**
 * The ticker: turns due schedule slots into runs in the database. Every node runs one; they
 * need no leader because
 * - each batch locks the due job rows with `FOR UPDATE SKIP LOCKED` (two tickers never work
 *   on one job at once: the second skips it), and
 * - a run's key is (`job:<nominal time>`, attempt 1), unique in `runs`, and the insert is
 *   `ON CONFLICT DO NOTHING`: even a ticker working from a stale cursor cannot create an
 *   occurrence twice.
 *
 * Misfires (DESIGN §3): when a job's due slot is older than its next slot (every node was
 * down, or the database was), only the latest missed slot within `misfireGrace` is
 * materialised (`misfire: "run_once"`), or none (`"skip"`), with one `RUN_SKIPPED` for the
 * rest: never a burst. Overlap `skip` is applied here too: a slot that falls due while the
 * job has a run pending or in flight is skipped; `replace` cancels what is in flight (its
 * worker's next heartbeat fails, which aborts its signal).
 *
 * @example
 * ```ts
 * import { tick } from "./ticker.ts";
 * // const { created, nextDueAt } = await tick(sql, tables("kron"));
 * ```
 * @module
 */
import { ulid } from "../engine/ulid.ts";
import { jitterDelay } from "../schedule/mod.ts";
import type { JobDefinitionRecord, KronEvent, RunTrigger } from "../store/events.ts";
import { insertEvents, iso } from "./_events.ts";
import type { Db, Sql } from "./_sql.ts";
import { notify, resumeLocked, scheduleOf, type Tables } from "./jobs.ts";

/**
 * Due jobs handled per transaction.
 *
 * @example
 * ```ts
 * import { TICK_BATCH } from "./ticker.ts";
 * TICK_BATCH; // 500
 * ```
 */
export const TICK_BATCH = 500;

/**
 * What one {@link tick} did.
 *
 * @example
 * ```ts
 * import type { TickResult } from "./ticker.ts";
 * const busy = (r: TickResult) => r.jobs === 500;
 * ```
 */
export interface TickResult {
  /** Due jobs handled. */
  jobs: number;
  /** Runs created. */
  created: number;
  /** Earliest run_at among the runs created (to wake claimers), or null. */
  firstRunAt: number | null;
  /** The database time the batch was computed at. */
  now: number;
}

interface NewRun {
  id: string;
  job: string;
  scheduledAt: number;
  key: string;
  trigger: RunTrigger;
  jitterMs: number;
  runAt: number;
  timeoutMs: number | null;
}

/**
 * Materialises one batch of due slots (at most {@link TICK_BATCH} jobs) in one transaction,
 * and resumes jobs whose timed pause ran out.
 *
 * @example
 * ```ts
 * import { tick } from "./ticker.ts";
 * // while ((await tick(sql, t)).jobs === TICK_BATCH) {}
 * ```
 */
export async function tick(
  sql: Sql,
  t: Tables,
  random: () => number = Math.random,
): Promise<TickResult> {
  return await sql.begin(async (tx) => {
    const rows = await tx.unsafe(
      `SELECT j.name, j.def, j.anchor_at, j.cursor_at, j.next_due_at, j.paused, j.paused_until,
         j.stopped, clock_timestamp() AS now,
         EXISTS (SELECT 1 FROM ${t.runs} r
           WHERE r.job = j.name AND r.status IN ('pending', 'running')) AS busy
       FROM ${t.jobs} j
       WHERE (j.next_due_at <= clock_timestamp() AND NOT j.paused AND NOT j.stopped)
          OR (j.paused AND j.paused_until <= clock_timestamp())
       ORDER BY j.next_due_at
       LIMIT ${TICK_BATCH}
       FOR UPDATE OF j SKIP LOCKED`,
    );
    if (rows.length === 0) {
      return { jobs: 0, created: 0, firstRunAt: null, now: Date.now() };
    }
    const now = Math.max(...rows.map((r) => (r.now as Date).getTime()));
    const runs: NewRun[] = [];
    const events: KronEvent[] = [];
    const updates: { name: string; cursor: number | null; next: number | null }[] = [];
    const replaced: string[] = [];
    for (const row of rows) {
      if (row.paused) {
        await resumeLocked(tx, t, row, now);
        continue;
      }
      const name = row.name as string;
      const def = row.def as JobDefinitionRecord;
      const policy = def.policy;
      const schedule = scheduleOf(def.schedule);
      const anchor = (row.anchor_at as Date).getTime();
      const at = (row.next_due_at as Date).getTime();
      const following = schedule.next(at, anchor);
      const occurrence = (slot: number, trigger: RunTrigger) => {
        if (row.busy && policy.overlap === "skip") {
          events.push({
            type: "RUN_SKIPPED",
            time: iso(now),
            job: name,
            scheduledAt: iso(slot),
            reason: "overlap",
            until: null,
          });
          return;
        }
        if (row.busy && policy.overlap === "replace") replaced.push(name);
        const jitterMs = policy.jitterMs > 0 ? jitterDelay(policy.jitterMs, random) : 0;
        if (jitterMs > 0) {
          events.push({
            type: "RUN_DUE",
            time: iso(now),
            job: name,
            scheduledAt: iso(slot),
            jitterMs,
          });
        }
        runs.push({
          id: ulid(now),
          job: name,
          scheduledAt: slot,
          key: `${name}:${iso(slot)}`,
          trigger,
          jitterMs,
          runAt: slot + jitterMs,
          timeoutMs: policy.timeoutMs,
        });
      };
      if ((following !== null && following <= now) || now - at > policy.misfireGraceMs) {
        // Missed slots: the latest one at most, never a burst.
        const latest = policy.misfire === "run_once"
          ? schedule.latest(now, Math.max(now - policy.misfireGraceMs, at - 1), anchor)
          : null;
        if (latest === null) {
          events.push({
            type: "RUN_SKIPPED",
            time: iso(now),
            job: name,
            scheduledAt: iso(at),
            reason: "misfire",
            until: iso(now),
          });
          updates.push({ name, cursor: now, next: schedule.next(now, anchor) });
          continue;
        }
        if (latest > at) {
          events.push({
            type: "RUN_SKIPPED",
            time: iso(now),
            job: name,
            scheduledAt: iso(at),
            reason: "misfire",
            until: null,
          });
        }
        occurrence(latest, latest === at && now - at < 1000 ? "schedule" : "catchup");
        updates.push({ name, cursor: latest, next: schedule.next(latest, anchor) });
      } else {
        occurrence(at, "schedule");
        updates.push({ name, cursor: at, next: following });
      }
    }
    if (replaced.length > 0) await cancelForReplace(tx, t, replaced, now, events);
    let created = 0;
    if (runs.length > 0) {
      const inserted = await tx.unsafe(
        `INSERT INTO ${t.runs} (id, job, task, payload, scheduled_at, idempotency_key, attempt,
           trigger, jitter_ms, status, run_at, timeout_ms)
         SELECT u.id, u.job, j.task, j.payload, u.scheduled_at::timestamptz, u.key, 1,
           u.trigger, u.jitter_ms, 'pending', u.run_at::timestamptz, u.timeout_ms
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
           $7::text[], $8::int[]) AS u(id, job, scheduled_at, key, trigger, jitter_ms, run_at,
           timeout_ms)
         JOIN ${t.jobs} j ON j.name = u.job
         ON CONFLICT (idempotency_key, attempt) DO NOTHING
         RETURNING id`,
        [
          runs.map((r) => r.id),
          runs.map((r) => r.job),
          runs.map((r) => iso(r.scheduledAt)),
          runs.map((r) => r.key),
          runs.map((r) => r.trigger),
          runs.map((r) => r.jitterMs),
          runs.map((r) => iso(r.runAt)),
          runs.map((r) => r.timeoutMs),
        ],
      );
      created = inserted.length;
    }
    if (updates.length > 0) {
      await tx.unsafe(
        `UPDATE ${t.jobs} AS j SET cursor_at = u.cursor::timestamptz,
           next_due_at = u.next::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[]) AS u(name, cursor, next)
         WHERE j.name = u.name`,
        [
          updates.map((u) => u.name),
          updates.map((u) => u.cursor === null ? null : iso(u.cursor)),
          updates.map((u) => u.next === null ? null : iso(u.next)),
        ],
      );
    }
    await insertEvents(tx, t, events);
    const firstRunAt = runs.length > 0 ? Math.min(...runs.map((r) => r.runAt)) : null;
    if (firstRunAt !== null) await notify(tx, t, `runs:${firstRunAt}`);
    return { jobs: rows.length, created, firstRunAt, now };
  });
}

/** `overlap: "replace"`: what the job has pending or in flight is cancelled. */
async function cancelForReplace(
  tx: Db,
  t: Tables,
  jobs: string[],
  now: number,
  events: KronEvent[],
): Promise<void> {
  const rows = await tx.unsafe(
    `UPDATE ${t.runs} SET status = 'cancelled', finished_at = clock_timestamp(),
       error = 'cancelled (replace)', lease_until = NULL,
       duration_ms = CASE WHEN started_at IS NULL THEN NULL
         ELSE (extract(epoch FROM clock_timestamp() - started_at) * 1000)::int END
     WHERE job = ANY($1::text[]) AND status IN ('pending', 'running')
     RETURNING id, job, attempt, duration_ms, started_at`,
    [jobs],
  );
  for (const r of rows) {
    if (r.started_at === null) continue;
    events.push({
      type: "RUN_CANCELLED",
      time: iso(now),
      job: r.job as string,
      runId: r.id as string,
      attempt: r.attempt as number,
      durationMs: r.duration_ms as number,
      exitCode: null,
      reason: "replace",
    });
  }
}

/**
 * When the next slot of any active job falls due (null: none), to arm the ticker's timer.
 *
 * @example
 * ```ts
 * import { nextDueAt } from "./ticker.ts";
 * // const at = await nextDueAt(sql, t);
 * ```
 */
export async function nextDueAt(sql: Sql, t: Tables): Promise<number | null> {
  const rows = await sql.unsafe(
    `SELECT least(
       (SELECT min(next_due_at) FROM ${t.jobs} WHERE NOT paused AND NOT stopped),
       (SELECT min(paused_until) FROM ${t.jobs} WHERE paused)) AS at`,
  );
  const at = rows[0].at as Date | null;
  return at === null ? null : at.getTime();
}
