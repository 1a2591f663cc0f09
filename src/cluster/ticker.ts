/**
 * The ticker: turns due schedule slots into runs in the database. Every node runs one; they
 * need no leader because
 * - each batch locks the due job rows with `FOR UPDATE SKIP LOCKED` (two tickers never work
 *   on one job at once: the second skips it), and
 * - a run's key is (`job:<nominal time>`, attempt 1), unique among open runs and among
 *   finished ones; the insert is `ON CONFLICT DO NOTHING` and leaves out keys already
 *   finished: even a ticker working from a stale cursor cannot create an occurrence twice.
 *
 * Lookahead: slots are materialised up to {@link LOOKAHEAD_MS} before they fall due, as
 * `pending` runs whose `run_at` (the due time: slot plus jitter) is still in the future; claims
 * take only runs with `run_at <= now`, and nodes wake their waiting claims with a timer at the
 * earliest known `run_at`. So a due run is claimed within milliseconds even when hundreds of
 * distinct due times fall in one second: the ticker works ahead instead of on the critical path.
 * What depends on the state at due time is decided at claim time (claims.ts): pause and stop
 * (runs of paused or stopped jobs wait), overlap `skip` and `replace`. Pausing or redefining a
 * job un-materialises its future slots ({@link unmaterialise}).
 *
 * Misfires (DESIGN §3): when a job's next slot is already due when the ticker reaches it (the
 * ticker was behind by more than the lookahead: every node was down, or the database was), the
 * slots missed are collapsed: only the latest missed slot within `misfireGrace` runs
 * (`misfire: "run_once"`), or none (`"skip"`), with `RUN_SKIPPED` for the rest, never a burst.
 * Runs materialised ahead for slots that fell due during the outage count as missed slots too
 * (they are deleted with `RUN_SKIPPED`), and claims leave a job's scheduled runs alone while the
 * job's next slot is overdue (the ticker has not caught up with it yet), so they cannot run
 * before the collapse.
 *
 * @example
 * ```ts
 * import { tick } from "./ticker.ts";
 * // const { created, nextDueAt } = await tick(sql, tables("kron"));
 * ```
 * @module
 */
import { ulid } from "../ulid.ts";
import { jitterDelay } from "../schedule/mod.ts";
import { decideMisfire, isMissed, runSkipped } from "../policy/mod.ts";
import type { JobDefinitionRecord, KronEvent, RunTrigger } from "../events/mod.ts";
import { insertEvents, iso } from "./_events.ts";
import type { Sql } from "./_sql.ts";
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
 * How far ahead of their due time slots are materialised (ms).
 *
 * @example
 * ```ts
 * import { LOOKAHEAD_MS } from "./ticker.ts";
 * LOOKAHEAD_MS; // 2000
 * ```
 */
export const LOOKAHEAD_MS = 2000;

/** Most slots of one job materialised ahead by one tick (a sub-second `every`). */
const MAX_AHEAD = 64;

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
  /** The distinct run_at times of the runs created, earliest first (at most 400). */
  runAts: number[];
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
  lookaheadMs: number = LOOKAHEAD_MS,
): Promise<TickResult> {
  return await sql.begin(async (tx) => {
    const rows = await tx.unsafe(
      `SELECT j.name, j.def, j.anchor_at, j.cursor_at, j.next_due_at, j.paused, j.paused_until,
         j.stopped, clock_timestamp() AS now
       FROM ${t.jobs} j
       WHERE (j.next_due_at <= clock_timestamp() + $1::int * interval '1 millisecond'
           AND NOT j.paused AND NOT j.stopped)
          OR (j.paused AND j.paused_until <= clock_timestamp())
       ORDER BY j.next_due_at
       LIMIT ${TICK_BATCH}
       FOR UPDATE OF j SKIP LOCKED`,
      [lookaheadMs],
    );
    if (rows.length === 0) {
      return { jobs: 0, created: 0, firstRunAt: null, runAts: [], now: Date.now() };
    }
    const now = Math.max(...rows.map((r) => (r.now as Date).getTime()));
    const runs: NewRun[] = [];
    const events: KronEvent[] = [];
    const updates: { name: string; cursor: number | null; next: number | null }[] = [];
    // Jobs the ticker reaches late (their next slot is already due): runs materialised ahead
    // for slots that fell due meanwhile are missed slots too, collapsed with the rest.
    const late = rows.filter((r) =>
      !r.paused && r.next_due_at !== null && (r.next_due_at as Date).getTime() <= now
    ).map((r) => r.name as string);
    const stale = new Map<string, number[]>();
    if (late.length > 0) {
      const gone = await tx.unsafe(
        `DELETE FROM ${t.queue} WHERE job = ANY($1::text[])
           AND status = 'pending'
           AND attempt = 1 AND trigger = 'schedule'
         RETURNING job, scheduled_at`,
        [late],
      );
      for (const g of gone) {
        const list = stale.get(g.job as string) ?? [];
        list.push((g.scheduled_at as Date).getTime());
        stale.set(g.job as string, list);
      }
    }
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
      let at: number | null = (row.next_due_at as Date).getTime();
      const following = schedule.next(at, anchor);
      let cursor: number | null = (row.cursor_at as Date | null)?.getTime() ?? null;
      const occurrence = (slot: number, trigger: RunTrigger) => {
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
      const missed = stale.get(name) ?? [];
      if (at > now) {
        // Ahead of time: the usual case.
      } else if (missed.length > 0 || isMissed(policy, at, following, now)) {
        // Missed slots: the latest one at most, never a burst. Slots materialised ahead and
        // missed are each recorded skipped; from `at` on, the same decision as the engine's
        // (the latest slot within the grace is the same whether the window opens at `at` or
        // at an earlier missed slot: `at` itself lies in it).
        for (const slot of missed.sort((a, b) => a - b)) {
          events.push(runSkipped(iso(now), name, iso(slot), "misfire", null));
        }
        const decision = decideMisfire(policy, schedule, anchor, at, now);
        if (decision.skipped) {
          const { scheduledAt, until } = decision.skipped;
          events.push(
            runSkipped(
              iso(now),
              name,
              iso(scheduledAt),
              "misfire",
              until === null ? null : iso(until),
            ),
          );
        }
        if (decision.run === null) {
          cursor = now;
          at = schedule.next(now, anchor);
        } else {
          occurrence(decision.run, decision.trigger);
          cursor = decision.run;
          at = schedule.next(decision.run, anchor);
        }
      } else {
        occurrence(at, "schedule");
        cursor = at;
        at = following;
      }
      // Then every slot within the lookahead.
      for (let n = 0; at !== null && at <= now + lookaheadMs && n < MAX_AHEAD; n++) {
        occurrence(at, "schedule");
        cursor = at;
        at = schedule.next(at, anchor);
      }
      updates.push({ name, cursor, next: at });
    }
    let created = 0;
    if (runs.length > 0) {
      const inserted = await tx.unsafe(
        `INSERT INTO ${t.queue} (id, job, task, payload, scheduled_at, idempotency_key, attempt,
           trigger, jitter_ms, status, run_at, timeout_ms)
         SELECT u.id, u.job, j.task, j.payload, u.scheduled_at::timestamptz, u.key, 1,
           u.trigger, u.jitter_ms, 'pending', u.run_at::timestamptz, u.timeout_ms
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
           $7::text[], $8::int[]) AS u(id, job, scheduled_at, key, trigger, jitter_ms, run_at,
           timeout_ms)
         JOIN ${t.jobs} j ON j.name = u.job
         WHERE NOT EXISTS (SELECT 1 FROM ${t.history} h
           WHERE h.idempotency_key = u.key AND h.attempt = 1)
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
           next_due_at = u.next::timestamptz, backoff_from = NULL
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
    // Every node learns when these runs fall due (its claims wake then, by timer). The payload
    // stays below NOTIFY's 8000 bytes; later times are found by the claims' own look-up.
    const runAts = [...new Set(runs.map((r) => r.runAt))].sort((a, b) => a - b).slice(0, 400);
    if (runAts.length > 0) await notify(tx, t, `runs:${runAts.join(",")}`);
    return { jobs: rows.length, created, firstRunAt: runAts[0] ?? null, runAts, now };
  });
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
