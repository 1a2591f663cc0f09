/**
 * Writing events to the cluster's `events` table: the same types and JSON shapes as the
 * embedded log (src/store/events.ts), one row each, appended in the caller's transaction; and
 * reading the event stream, those rows and the run events derived from the runs together.
 *
 * @example
 * ```ts
 * import { insertEvents } from "./_events.ts";
 * // await insertEvents(tx, tables("kron"), [{ type: "JOB_RESUMED", time, job: "a" }]);
 * ```
 * @module
 */
import type { KronEvent } from "../events/mod.ts";
import { type Db, isoSql } from "./_sql.ts";

/**
 * Appends events (in order) inside the caller's transaction.
 *
 * @example
 * ```ts
 * import { insertEvents } from "./_events.ts";
 * // await sql.begin((tx) => insertEvents(tx, t, events));
 * ```
 */
export async function insertEvents(
  tx: Db,
  t: { events: string },
  events: readonly KronEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const times: string[] = [], types: string[] = [], jobs: (string | null)[] = [];
  const runs: (string | null)[] = [], data: string[] = [];
  for (const e of events) {
    times.push(e.time);
    types.push(e.type);
    jobs.push("job" in e ? e.job : null);
    runs.push("runId" in e ? e.runId : null);
    data.push(JSON.stringify(e));
  }
  await tx.unsafe(
    `INSERT INTO ${t.events} (time, type, job, run_id, data)
     SELECT u.time::timestamptz, u.type, u.job, u.run_id, u.data::jsonb
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
       WITH ORDINALITY AS u(time, type, job, run_id, data, n)
     ORDER BY u.n`,
    [times, types, jobs, runs, data],
  );
}

/**
 * ISO UTC text of epoch ms.
 *
 * @example
 * ```ts
 * import { iso } from "./_events.ts";
 * iso(0); // "1970-01-01T00:00:00.000Z"
 * ```
 */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * One event of the stream: its position, type and JSON (the shape of the embedded log).
 *
 * @example
 * ```ts
 * import type { StreamEvent } from "./_events.ts";
 * const id = (e: StreamEvent) => `${e.seq}`;
 * ```
 */
export interface StreamEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

/** SQL of a run's RUN_STARTED JSON (`r`: a run's row), as the embedded log writes it. */
const RUN_STARTED_JSON = `jsonb_build_object('type', 'RUN_STARTED', 'time', ${
  isoSql("r.started_at")
}, 'job', r.job, 'runId', r.id, 'attempt', r.attempt, 'scheduledAt', ${
  isoSql("r.scheduled_at")
}, 'idempotencyKey', r.idempotency_key, 'trigger', r.trigger, 'jitterMs', r.jitter_ms)`;

/** SQL of a run's RUN_SUCCEEDED JSON (`r`: a finished run's row). */
const RUN_SUCCEEDED_JSON = `jsonb_build_object('type', 'RUN_SUCCEEDED', 'time', ${
  isoSql("r.finished_at")
}, 'job', r.job, 'runId', r.id, 'attempt', r.attempt, 'durationMs', r.duration_ms,
  'exitCode', NULL)`;

/**
 * The events after position `after`, in order: rows of `events` and the run events derived
 * from the runs (what the view `event_log` shows). Reads the positions `first .. first + limit -
 * 1`, `first` being the first position taken after `after`, each kind through its own index
 * (a finished run's RUN_STARTED by `started_pos`; a running one's among the open runs), so a
 * run started inside the window is found whatever happened to it since (an empty answer:
 * nothing after `after`).
 *
 * @example
 * ```ts
 * import { eventsAfter } from "./_events.ts";
 * // for (const e of await eventsAfter(sql, t, lastSeq)) console.log(e.seq, e.type);
 * ```
 */
export async function eventsAfter(
  db: Db,
  t: { events: string; queue: string; history: string },
  after: number,
  limit = 1000,
): Promise<StreamEvent[]> {
  const rows = await db.unsafe(
    `WITH w AS (
       SELECT lo, lo + $2 - 1 AS hi FROM (SELECT least(
         (SELECT min(seq) FROM ${t.events} WHERE seq > $1),
         (SELECT min(started_pos) FROM ${t.history} WHERE started_pos > $1),
         (SELECT min(started_seq) FROM ${t.queue} WHERE started_seq > $1),
         (SELECT min(done_seq) FROM ${t.history} WHERE done_seq > $1)) AS lo) f
       WHERE lo IS NOT NULL
     )
     SELECT e.seq, e.type, e.data FROM w, ${t.events} e WHERE e.seq BETWEEN w.lo AND w.hi
     UNION ALL
     SELECT r.started_seq, 'RUN_STARTED', ${RUN_STARTED_JSON}
     FROM w, ${t.history} r WHERE r.started_pos BETWEEN w.lo AND w.hi
     UNION ALL
     SELECT r.started_seq, 'RUN_STARTED', ${RUN_STARTED_JSON}
     FROM w, ${t.queue} r WHERE r.started_seq BETWEEN w.lo AND w.hi
     UNION ALL
     SELECT r.done_seq, 'RUN_SUCCEEDED', ${RUN_SUCCEEDED_JSON}
     FROM w, ${t.history} r WHERE r.done_seq BETWEEN w.lo AND w.hi
     ORDER BY 1`,
    [after, limit],
  );
  return rows.map((r) => ({
    seq: r.seq as number,
    type: r.type as string,
    data: r.data as Record<string, unknown>,
  }));
}

/**
 * The last position of the event stream (0 when empty): where a new subscriber starts.
 *
 * @example
 * ```ts
 * import { lastEventSeq } from "./_events.ts";
 * // const from = await lastEventSeq(sql, t);
 * ```
 */
export async function lastEventSeq(
  db: Db,
  t: { events: string; queue: string; history: string },
): Promise<number> {
  const rows = await db.unsafe(
    `SELECT coalesce(greatest((SELECT max(seq) FROM ${t.events}),
       (SELECT max(started_pos) FROM ${t.history}), (SELECT max(done_seq) FROM ${t.history}),
       (SELECT max(started_seq) FROM ${t.queue})), 0) AS seq`,
  );
  return rows[0].seq as number;
}
