/**
 * What follows an attempt that failed, timed out or lost its lease, in the cluster: the rules
 * of src/policy (retry or dead, on_error stop or backoff) applied to the `runs` and `jobs`
 * rows, in the caller's transaction. claims.ts (fail, reap) is its only user.
 *
 * @example
 * ```ts
 * import { afterFailure } from "./_after_failure.ts";
 * // await afterFailure(tx, t, row, Date.now(), events, Math.random, true);
 * ```
 * @module
 */
import { ulid } from "../ulid.ts";
import {
  afterFailedAttempt,
  afterLastFailure,
  backoffDue,
  runDead,
  runRetrying,
} from "../policy/mod.ts";
import type { JobDefinitionRecord, KronEvent } from "../events/mod.ts";
import { iso } from "./_events.ts";
import type { Db } from "./_sql.ts";
import { notify, scheduleOf, type Tables, unmaterialise } from "./jobs.ts";

/**
 * After an attempt ended badly: schedule the next attempt, or declare the occurrence dead and
 * apply `onError`. Returns the retry time (ISO) or null.
 *
 * @example
 * ```ts
 * import { afterFailure } from "./_after_failure.ts";
 * // const retryAt = await afterFailure(tx, t, runRow, now, events, Math.random, false);
 * ```
 */
export async function afterFailure(
  tx: Db,
  t: Tables,
  run: Record<string, unknown>,
  now: number,
  events: KronEvent[],
  random: () => number,
  abandoned: boolean,
): Promise<string | null> {
  const job = run.job as string;
  const jobs = await tx.unsafe(
    `SELECT def, consecutive_failures FROM ${t.jobs}
     WHERE name = $1 FOR UPDATE`,
    [job],
  );
  if (jobs.length === 0) return null; // removed meanwhile: nothing more to run
  const row = jobs[0];
  const def = row.def as JobDefinitionRecord;
  const policy = def.policy;
  const attempt = run.attempt as number;
  // An abandonment (lost lease) always earns one re-run, as single-node recovery does.
  const next = afterFailedAttempt(policy, attempt, random, abandoned);
  if (next.retry) {
    const retryAt = now + next.retry.delayMs;
    const nextId = ulid(now);
    await tx.unsafe(
      `INSERT INTO ${t.queue} (id, job, task, payload, scheduled_at, idempotency_key, attempt,
         trigger, status, run_at, timeout_ms)
       VALUES ($1, $2, $3, $4::text::jsonb, $5::timestamptz, $6, $7, $8, 'pending',
         $9::timestamptz, $10)
       ON CONFLICT (idempotency_key, attempt) DO NOTHING`,
      [
        nextId,
        job,
        run.task,
        run.payload === null || run.payload === undefined ? null : JSON.stringify(run.payload),
        (run.scheduled_at as Date).toISOString(),
        run.idempotency_key,
        next.retry.nextAttempt,
        run.trigger === "manual" ? "manual" : "retry",
        iso(retryAt),
        run.timeout_ms ?? null,
      ],
    );
    events.push(
      runRetrying(
        iso(now),
        job,
        run.id as string,
        (run.scheduled_at as Date).toISOString(),
        run.idempotency_key as string,
        next.retry.nextAttempt,
        iso(retryAt),
      ),
    );
    await notify(tx, t, `runs:${retryAt}`);
    return iso(retryAt);
  }
  if (next.dead) events.push(runDead(iso(now), job, run.id as string, attempt));
  // The occurrence's last attempt failed: on_error acts now (DESIGN §4).
  const after = afterLastFailure(policy, row.consecutive_failures as number);
  const stopped = await tx.unsafe(
    `UPDATE ${t.jobs} SET consecutive_failures = $3, last_finished_at = $2::timestamptz,
       stopped = stopped OR $4
     WHERE name = $1 RETURNING stopped`,
    [job, iso(now), after.consecutiveFailures, after.stop],
  );
  // A stopped job's slots materialised ahead go (re-enabling it skips what fell due meanwhile).
  if (stopped[0]?.stopped) await unmaterialise(tx, t, job);
  else if (policy.onError === "backoff") {
    await backOff(tx, t, job, def, after.consecutiveFailures, now);
  }
  return null;
}

/**
 * `on_error = "backoff"` after a failure: the job's slots materialised ahead go, and its next
 * slot moves to the one {@link backoffDue} picks, as the engine re-arms a failing job.
 */
async function backOff(
  tx: Db,
  t: Tables,
  job: string,
  def: JobDefinitionRecord,
  consecutiveFailures: number,
  lastFinishedAt: number,
): Promise<void> {
  await unmaterialise(tx, t, job);
  const rows = await tx.unsafe(
    `SELECT anchor_at, next_due_at FROM ${t.jobs} WHERE name = $1`,
    [job],
  );
  const next = (rows[0]?.next_due_at as Date | null)?.getTime() ?? null;
  if (next === null) return;
  const due = backoffDue({
    policy: def.policy,
    schedule: scheduleOf(def.schedule),
    anchorAt: (rows[0].anchor_at as Date).getTime(),
    next,
    consecutiveFailures,
    lastFinishedAt,
  });
  if (due !== next) {
    await tx.unsafe(
      `UPDATE ${t.jobs} SET next_due_at = $2::timestamptz,
         backoff_from = coalesce(backoff_from, $3::timestamptz) WHERE name = $1`,
      [job, due === null ? null : iso(due), iso(next)],
    );
  }
}
