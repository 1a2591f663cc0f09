/**
 * Claims, leases and fencing. A worker claims due runs of its tasks with
 * `FOR UPDATE SKIP LOCKED` (concurrent claimers never wait on, nor get, the same row); each
 * claimed attempt gets a lease (`lease_until`) and a fencing token from a database sequence,
 * so tokens only grow across the whole cluster. Heartbeats extend the lease; completing or
 * failing needs the current token, and a stale one changes nothing (the caller answers 409).
 *
 * A lease that runs out (the worker died, hung, or lost its network) is reclaimed by the
 * reaper of any node: the attempt is recorded `RUN_ABANDONED` and the occurrence runs again
 * as a new attempt, under the job's retry policy (an abandonment always earns one re-run, as
 * in single-node recovery), and that attempt's claim draws a new token.
 *
 * Every statement of the hot path (claim, complete) is one SQL statement with data-modifying
 * CTEs, in one round trip. Their events (`RUN_STARTED`, `RUN_SUCCEEDED`) are not extra rows:
 * the run's row takes their positions in the event stream (`started_seq`, `done_seq`) in the
 * same update, and `event_log` derives them (schema.ts, migration 5).
 *
 * @example
 * ```ts
 * import { claimRuns, completeRun } from "./claims.ts";
 * // const [run] = await claimRuns(sql, t, { tasks: ["send_digest"], max: 1, leaseMs: 30_000, worker: "w1" });
 * // await completeRun(sql, t, run.runId, run.fencingToken);
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import type { KronEvent } from "../events/mod.ts";
import { insertEvents, iso } from "./_events.ts";
import { type Db, isoSql, type Sql } from "./_sql.ts";
import type { Tables } from "./jobs.ts";
import { afterFailure } from "./_after_failure.ts";
import { finishCtes } from "./_finish.ts";
import { claimedJsonSql } from "./_claimed_json.ts";
import { runClaim, runTuned } from "./_claim_run.ts";
import { isSlot, settleReplaced } from "./_replace.ts";
import { runFailure } from "../policy/mod.ts";

/**
 * Default lease: how long a claimed run stays with its worker without a heartbeat.
 *
 * @example
 * ```ts
 * import { DEFAULT_LEASE_MS } from "./claims.ts";
 * DEFAULT_LEASE_MS; // 30000
 * ```
 */
export const DEFAULT_LEASE_MS = 30_000;

/**
 * One claimed run, as `POST /v1/claim` answers it.
 *
 * @example
 * ```ts
 * import type { ClaimedRun } from "./claims.ts";
 * const header = (r: ClaimedRun) => String(r.fencingToken);
 * ```
 */
export interface ClaimedRun {
  job: string;
  runId: string;
  task: string;
  payload: unknown;
  attempt: number;
  /** Nominal (pre-jitter) time of the occurrence (ISO). */
  scheduledAt: string;
  idempotencyKey: string;
  fencingToken: number;
  /** ISO time the lease ends unless extended by a heartbeat. */
  leaseUntil: string;
  /** The job's timeout (the worker aborts the attempt after it), or null. */
  timeoutMs: number | null;
  /** ISO time the run became claimable (scheduled time plus jitter, or the retry time). */
  dueAt: string;
}

/**
 * One claimed run as its answer's JSON text (a {@link ClaimedRun}, built by PostgreSQL) and
 * the fields the claim's headers carry. A node hands the text on as it came: turning rows
 * into objects, dates into ISO strings and back into JSON was a third of a node's CPU for a
 * claimed run.
 *
 * @example
 * ```ts
 * import type { ClaimedJson } from "./claims.ts";
 * const body = (runs: ClaimedJson[]) => `[${runs.map((r) => r.json).join(",")}]`;
 * ```
 */
export interface ClaimedJson {
  job: string;
  runId: string;
  idempotencyKey: string;
  fencingToken: number;
  /** The run as a JSON object (the fields of {@link ClaimedRun}). */
  json: string;
}

/**
 * Options of {@link claimRuns}.
 *
 * @example
 * ```ts
 * import type { ClaimOptions } from "./claims.ts";
 * const o: ClaimOptions = { tasks: ["a"], max: 10, leaseMs: 30_000, worker: "host:1234" };
 * ```
 */
export interface ClaimOptions {
  tasks: string[];
  max: number;
  leaseMs: number;
  worker: string;
}

/**
 * Claims up to `max` due runs of `tasks` (oldest due first), in one statement (one round
 * trip). Each claimed run's `RUN_STARTED` is its row's `started_seq` (see `event_log`). What depends on the state at due time is decided
 * here, since runs are materialised ahead of it (ticker.ts):
 * - runs of paused or stopped jobs wait; a job's scheduled runs also wait while its next slot
 *   is overdue (the ticker has yet to collapse missed slots after an outage);
 * - `overlap: "skip"`: a scheduled run is skipped (deleted, `RUN_SKIPPED` overlap) while the
 *   job has a run in flight or an earlier occurrence pending; the earliest one wins, so
 *   concurrent claimers agree without locking the job;
 * - `overlap: "replace"`: the newest occurrence wins. Claiming a scheduled run cancels the job's
 *   earlier pending runs and its running ones (their next heartbeat fails, which aborts the
 *   worker's signal); an occurrence older than one already running is cancelled unclaimed; two
 *   claimers racing on one job are settled once their claims commit (_replace.ts).
 *
 * @example
 * ```ts
 * import { claimRuns } from "./claims.ts";
 * // const runs = await claimRuns(sql, t, { tasks: ["a"], max: 8, leaseMs: 30_000, worker: "w" });
 * ```
 */
export async function claimRuns(sql: Sql, t: Tables, o: ClaimOptions): Promise<ClaimedRun[]> {
  return (await claimRunsJson(sql, t, o)).map((r) => JSON.parse(r.json) as ClaimedRun);
}

/**
 * {@link claimRuns}, each run as its answer's JSON text (what `POST /v1/claim` sends on).
 * `tuned`: a pool whose sessions start with the claim's planner settings (`CLAIM_SETTINGS`,
 * _claim_run.ts), which claims in one statement instead of a transaction.
 *
 * @example
 * ```ts
 * import { claimRunsJson } from "./claims.ts";
 * // const runs = await claimRunsJson(sql, t, { tasks: ["a"], max: 8, leaseMs: 30_000, worker: "w" });
 * ```
 */
export async function claimRunsJson(
  sql: Sql,
  t: Tables,
  o: ClaimOptions,
  tuned?: Sql,
): Promise<ClaimedJson[]> {
  if (o.tasks.length === 0 || o.max < 1) return [];
  const slot = isSlot("c");
  // Evaluated once per statement (an uncorrelated EXISTS is a one-time filter): with no
  // replacing run claimed, the joins below are not run at all. Their plan depends on the
  // statistics of a queue that churns: after an analyze that saw every run pending, the
  // planner expects one running run and reads the whole table for them, on every claim.
  const anyReplacing = `EXISTS (SELECT 1 FROM replacing)`;
  const claim = (db: Db, prepare: boolean) =>
    db.unsafe(
      `WITH cand AS (
       SELECT r.id, r.job, r.scheduled_at, r.trigger, r.attempt,
         coalesce(j.def->'policy'->>'overlap', 'allow') AS overlap
       FROM ${t.queue} r LEFT JOIN ${t.jobs} j ON j.name = r.job
       WHERE r.status = 'pending' AND r.run_at <= clock_timestamp()
         AND r.task = ANY($1::text[])
         AND (j.name IS NULL OR (NOT j.paused AND NOT j.stopped
           AND (r.trigger <> 'schedule' OR j.next_due_at IS NULL
             OR j.next_due_at > clock_timestamp())))
       ORDER BY r.run_at
       LIMIT $2
       FOR UPDATE OF r SKIP LOCKED
     ), judged AS (
       SELECT c.*, CASE
         WHEN c.overlap = 'skip' AND ${slot} AND EXISTS (SELECT 1 FROM ${t.queue} x
           WHERE x.job = c.job AND x.id <> c.id
             AND (x.status = 'running' OR (x.scheduled_at, x.id) < (c.scheduled_at, c.id)))
           THEN 'skip'
         WHEN c.overlap = 'replace' AND ${slot} AND (EXISTS (SELECT 1 FROM cand y
           WHERE y.job = c.job AND (y.scheduled_at, y.id) > (c.scheduled_at, c.id))
           OR EXISTS (SELECT 1 FROM ${t.queue} x
           WHERE x.job = c.job AND x.status = 'running'
             AND ${isSlot("x")}
             AND (x.scheduled_at, x.id) > (c.scheduled_at, c.id)))
           THEN 'superseded'
         ELSE 'claim' END AS verdict
       FROM cand c
     ), replacing AS (
       SELECT c.job, c.id, c.scheduled_at FROM judged c
       WHERE c.verdict = 'claim' AND c.overlap = 'replace' AND ${slot}
     ), ${
        finishCtes(t, {
          name: "cancelled",
          using: `(
         SELECT id FROM judged WHERE verdict = 'superseded'
         UNION
         SELECT x.id FROM ${t.queue} x JOIN replacing p ON x.job = p.job
         WHERE x.status = 'running'
           AND (x.scheduled_at, x.id) < (p.scheduled_at, p.id) AND ${anyReplacing}
         UNION
         SELECT q.id FROM (
           SELECT x.id FROM ${t.queue} x JOIN replacing p ON x.job = p.job
           WHERE x.status = 'pending'
             AND x.id NOT IN (SELECT id FROM cand)
             AND (x.scheduled_at, x.id) < (p.scheduled_at, p.id) AND ${anyReplacing}
           FOR UPDATE OF x SKIP LOCKED) q
       ) z`,
          where: "r.id = z.id",
          status: "'cancelled'",
          error: "'cancelled (replace)'",
        })
      }, skipped AS (
       DELETE FROM ${t.queue} r USING judged c WHERE r.id = c.id AND c.verdict = 'skip'
       RETURNING r.job, r.scheduled_at, clock_timestamp() AS time
     ), claimed AS (
       UPDATE ${t.queue} r SET status = 'running', started_at = clock_timestamp(),
         lease_until = clock_timestamp() + $3::int * interval '1 millisecond',
         fencing_token = nextval('${t.tokens}'), worker = $4,
         started_seq = nextval('${t.eventSeq}')
       FROM judged c WHERE r.id = c.id AND c.verdict = 'claim'
       RETURNING r.id AS "runId", r.job, r.idempotency_key AS "idempotencyKey",
         r.fencing_token AS "fencingToken", r.run_at,
         ${claimedJsonSql("r")} AS json,
         (c.overlap = 'replace' AND ${slot}) AS replaces
     ), ev AS (
       INSERT INTO ${t.events} (time, type, job, run_id, data)
       SELECT s.time, 'RUN_SKIPPED', s.job, NULL, jsonb_build_object(
         'type', 'RUN_SKIPPED', 'time', ${isoSql("s.time")}, 'job', s.job,
         'scheduledAt', ${isoSql("s.scheduled_at")}, 'reason', 'overlap', 'until', NULL)
       FROM skipped s
       UNION ALL
       SELECT x.finished_at, 'RUN_CANCELLED', x.job, x.id, jsonb_build_object(
         'type', 'RUN_CANCELLED', 'time', ${isoSql("x.finished_at")}, 'job', x.job,
         'runId', x.id, 'attempt', x.attempt, 'durationMs', x.duration_ms, 'exitCode', NULL,
         'reason', 'replace')
       FROM cancelled x WHERE x.started_at IS NOT NULL
     )
     SELECT "runId", job, "idempotencyKey", "fencingToken", json, replaces
     FROM claimed ORDER BY run_at`,
      [o.tasks, o.max, Math.round(o.leaseMs), o.worker],
      { prepare },
    );
  // The claim's planner settings and how it is sent: _claim_run.ts.
  // A claimed run's RUN_STARTED is not written: the row's `started_seq` places it in the
  // event stream (`event_log`, migration 5). Writing it as an event row took the database more
  // than the claim's update (a heap tuple, two index entries and its JSON per run).
  const rows = await runClaim(sql, claim, tuned);
  // Another claimer may have started a newer occurrence of a replacing job meanwhile: settle
  // once committed, and hand out none of the runs that lost (_replace.ts).
  const replacing = [...new Set(rows.filter((r) => r.replaces).map((r) => r.job as string))];
  if (replacing.length === 0) return rows as unknown as ClaimedJson[];
  const lost = new Set(await settleReplaced(sql, t, replacing));
  return (rows as unknown as ClaimedJson[]).filter((r) => !lost.has(r.runId));
}

/**
 * When the earliest pending run of `tasks` becomes claimable (epoch ms, local clock), or null.
 *
 * @example
 * ```ts
 * import { nextPendingAt } from "./claims.ts";
 * // const at = await nextPendingAt(sql, t, ["send_digest"]);
 * ```
 */
export async function nextPendingAt(sql: Sql, t: Tables, tasks: string[]): Promise<number | null> {
  const rows = await sql.unsafe(
    `SELECT (extract(epoch FROM min(run_at) - clock_timestamp()) * 1000)::float8 AS wait
     FROM ${t.queue} WHERE status = 'pending' AND task = ANY($1::text[])`,
    [tasks],
  );
  const wait = rows[0].wait as number | null;
  return wait === null ? null : Date.now() + Math.max(0, wait);
}

/**
 * The 409 for a stale or unknown token, or the 404 for an unknown run.
 *
 * @example
 * ```ts
 * import { staleToken } from "./claims.ts";
 * // throw await staleToken(sql, t, runId, token);
 * ```
 */
export async function staleToken(
  sql: Sql,
  t: Tables,
  runId: string,
  token: number,
): Promise<KronError> {
  const rows = await sql.unsafe(
    `SELECT status, fencing_token FROM ${t.runs} WHERE id = $1`,
    [runId],
  );
  if (rows.length === 0) return new KronError("unknown_run", `no run with id "${runId}"`);
  const { status, fencing_token } = rows[0];
  return new KronError(
    "conflict",
    fencing_token !== token
      ? `fencing token ${token} is not current for run ${runId} (current: ${fencing_token})`
      : `run ${runId} is ${status}: its lease is gone, fencing token ${token} is no longer current`,
  );
}

function checkToken(token: unknown): number {
  if (typeof token !== "number" || !Number.isSafeInteger(token) || token < 1) {
    throw new KronError("invalid_option", `fencingToken must be a positive integer`);
  }
  return token;
}

/**
 * Extends a lease by `leaseMs` from now. Throws `conflict` (409) when the token is not
 * current: the worker has lost the run and should stop.
 *
 * @example
 * ```ts
 * import { heartbeatRun } from "./claims.ts";
 * // const { leaseUntil } = await heartbeatRun(sql, t, runId, token, 30_000);
 * ```
 */
export async function heartbeatRun(
  sql: Sql,
  t: Tables,
  runId: string,
  token: number,
  leaseMs: number,
): Promise<{ leaseUntil: string }> {
  checkToken(token);
  const rows = await sql.unsafe(
    `UPDATE ${t.queue} SET lease_until = clock_timestamp() + $3::int * interval '1 millisecond'
     WHERE id = $1 AND fencing_token = $2 AND status = 'running'
     RETURNING lease_until`,
    [runId, token, Math.round(leaseMs)],
  );
  if (rows.length === 0) throw await staleToken(sql, t, runId, token);
  return { leaseUntil: (rows[0].lease_until as Date).toISOString() };
}

/**
 * One completion in a batch.
 *
 * @example
 * ```ts
 * import type { Completion } from "./claims.ts";
 * const c: Completion = { runId: "01J…", fencingToken: 42 };
 * ```
 */
export interface Completion {
  runId: string;
  fencingToken: number;
}

/**
 * Marks attempts succeeded, each only with its current token (one statement for the batch).
 * A run's `RUN_SUCCEEDED` is its row's `done_seq` (see `event_log`).
 * Resolves to the run ids that were refused (a stale token or no such run); the others were
 * accepted. Only the refused come back from the database: a batch is accepted whole almost
 * always, and reading back every accepted id cost the node ~1 µs a run. `tuned`: the claims'
 * pool (`claimRunsJson`), where the statement is prepared with its generic plan.
 *
 * @example
 * ```ts
 * import { completeRuns } from "./claims.ts";
 * // const { rejected } = await completeRuns(sql, t, [{ runId, fencingToken }]);
 * ```
 */
export async function completeRuns(
  sql: Sql,
  t: Tables,
  completions: readonly Completion[],
  tuned?: Sql,
): Promise<{ rejected: Set<string> }> {
  if (completions.length === 0) return { rejected: new Set() };
  // One statement, so one round trip (its own transaction): a completion holds the run's row
  // locked until it commits, and over a slow database link every round trip counts (the
  // job's next occurrences wait on it under overlap "skip").
  // One JSON object, run id → token, is the whole batch (its ids and their tokens). Each run is
  // found by its primary key (`id = ANY` of the object's keys): joined with a list instead, the
  // planner, its estimate of the running rows stale in a busy queue, read them all (a bitmap
  // scan of the running runs' index into a hash join: 27 ms for 256 runs under load; with no
  // such index, a sequential scan: 26 ms against 9 ms). Its token is looked up in the object (a
  // binary search of its sorted keys): picked from a list by position (array_position), each
  // run's id was compared with half the batch, ~3 µs a run of the statement's ~25 µs at 250
  // runs; and the node sent the ids twice. The first token given for a run is the one checked
  // (the object is written as text here: jsonb would keep the last of a repeated key).
  const seen = new Set<string>();
  let tokens = "";
  for (const c of completions) {
    checkToken(c.fencingToken);
    if (seen.has(c.runId)) continue;
    seen.add(c.runId);
    tokens += `${tokens === "" ? "{" : ","}${JSON.stringify(c.runId)}:${c.fencingToken}`;
  }
  // The object is read once (a materialized CTE): as a parameter cast in the statement, a
  // generic plan parsed it again for every run (5x slower). So the completion can be a prepared
  // statement with its generic plan, on the claims' pool (`tuned`, _claim_run.ts): planning it
  // took ~0.8 ms a batch.
  const text = `WITH b AS MATERIALIZED (SELECT $1::text::jsonb AS o), ${
    finishCtes(t, {
      name: "done",
      where: `r.id = ANY(ARRAY(SELECT jsonb_object_keys((SELECT o FROM b))))
         AND r.status = 'running'
         AND r.fencing_token = ((SELECT o FROM b) ->> r.id)::bigint`,
      status: "'succeeded'",
      doneSeq: `nextval('${t.eventSeq}')`,
    })
  }, jobs AS (
       UPDATE ${t.jobs} j SET consecutive_failures = 0, last_finished_at = now(),
         next_due_at = least(j.next_due_at, j.backoff_from), backoff_from = NULL
       FROM (SELECT DISTINCT job FROM done) d
       WHERE j.name = d.job AND j.consecutive_failures <> 0
     )
     SELECT k AS id FROM jsonb_object_keys((SELECT o FROM b)) k
     WHERE NOT EXISTS (SELECT 1 FROM done d WHERE d.id = k)`;
  const rows = await runTuned(
    sql,
    (db, prepare) => db.unsafe(text, [tokens + "}"], { prepare }),
    tuned,
  );
  return { rejected: new Set(rows.map((r) => r.id as string)) };
}

/**
 * Marks one attempt succeeded; throws `conflict` (409) with a stale token, `unknown_run` (404)
 * for no such run.
 *
 * @example
 * ```ts
 * import { completeRun } from "./claims.ts";
 * // await completeRun(sql, t, runId, token);
 * ```
 */
export async function completeRun(
  sql: Sql,
  t: Tables,
  runId: string,
  token: number,
): Promise<void> {
  const { rejected } = await completeRuns(sql, t, [{ runId, fencingToken: checkToken(token) }]);
  if (rejected.has(runId)) throw await staleToken(sql, t, runId, token);
}

/**
 * How an attempt failed.
 *
 * @example
 * ```ts
 * import type { Failure } from "./claims.ts";
 * const f: Failure = { error: "HTTP 503 from the mail API", timedOut: false };
 * ```
 */
export interface Failure {
  error: string;
  timedOut?: boolean;
  exitCode?: number | null;
}

/**
 * Marks one attempt failed (or timed out) with its current token, then applies the retry
 * policy (`RUN_RETRYING` and a new pending attempt, or `RUN_DEAD`) and `onError`.
 *
 * @example
 * ```ts
 * import { failRun } from "./claims.ts";
 * // await failRun(sql, t, runId, token, { error: "boom" });
 * ```
 */
export async function failRun(
  sql: Sql,
  t: Tables,
  runId: string,
  token: number,
  failure: Failure,
  random: () => number = Math.random,
): Promise<{ retryAt: string | null }> {
  checkToken(token);
  const error = oneLine(failure.error);
  const status = failure.timedOut ? "timed_out" : "failed";
  const result = await sql.begin(async (tx) => {
    const rows = await tx.unsafe(
      `WITH ${
        finishCtes(t, {
          name: "gone",
          where: "r.id = $1 AND r.fencing_token = $2 AND r.status = 'running'",
          status: "$3::text",
          error: "$4::text",
          exitCode: "$5::int",
        })
      } SELECT *, finished_at AS now FROM gone`,
      [runId, token, status, error, failure.exitCode ?? null],
    );
    if (rows.length === 0) return null;
    const r = rows[0];
    const now = (r.now as Date).getTime();
    const events: KronEvent[] = [runFailure({
      time: iso(now),
      job: r.job as string,
      runId,
      attempt: r.attempt as number,
      durationMs: r.duration_ms as number,
      exitCode: failure.exitCode ?? null,
      error,
    }, failure.timedOut === true)];
    const retryAt = await afterFailure(tx, t, r, now, events, random, false);
    await insertEvents(tx, t, events);
    return { retryAt };
  });
  if (result === null) throw await staleToken(sql, t, runId, token);
  return result;
}

/**
 * Reclaims runs whose lease ran out (at most `limit` per call): records `RUN_ABANDONED` and
 * queues the next attempt under the retry policy. Resolves to the number reclaimed.
 *
 * @example
 * ```ts
 * import { reapExpired } from "./claims.ts";
 * // await reapExpired(sql, t);
 * ```
 */
export async function reapExpired(
  sql: Sql,
  t: Tables,
  limit = 100,
  random: () => number = Math.random,
): Promise<number> {
  return await sql.begin(async (tx) => {
    const rows = await tx.unsafe(
      `WITH ${
        finishCtes(t, {
          name: "gone",
          where: `r.id IN (
         SELECT id FROM ${t.queue}
         WHERE status = 'running' AND lease_until < clock_timestamp()
         ORDER BY lease_until LIMIT $1 FOR UPDATE SKIP LOCKED)`,
          status: "'abandoned'",
          error: "'lease expired (worker lost)'",
        })
      } SELECT *, finished_at AS now FROM gone`,
      [limit],
    );
    const events: KronEvent[] = [];
    for (const r of rows) {
      const now = (r.now as Date).getTime();
      events.push({
        type: "RUN_ABANDONED",
        time: iso(now),
        job: r.job as string,
        runId: r.id as string,
      });
      await afterFailure(tx, t, r, now, events, random, true);
    }
    await insertEvents(tx, t, events);
    return rows.length;
  });
}

function oneLine(text: unknown): string {
  const line = String(text ?? "failed").split("\n")[0];
  return line.length > 500 ? line.slice(0, 500) + "…" : line;
}
