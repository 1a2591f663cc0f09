/**
 * Writing events to the cluster's `events` table: the same types and JSON shapes as the
 * embedded log (src/store/events.ts), one row each, appended in the caller's transaction.
 *
 * @example
 * ```ts
 * import { insertEvents } from "./_events.ts";
 * // await insertEvents(tx, tables("kron"), [{ type: "JOB_RESUMED", time, job: "a" }]);
 * ```
 * @module
 */
import type { KronEvent } from "../events/mod.ts";
import type { Db } from "./_sql.ts";

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
