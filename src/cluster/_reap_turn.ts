/**
 * Turns of the lease reaper. Looking for leases that ran out reads every open run (pending or
 * running: no index holds the running ones alone, so that claims write no index entry), so a
 * node does not look when another one looked within the period: the cluster looks about once
 * per period, whatever the number of nodes. A look is recorded once it is done, so a node with
 * a slow database link that is still looking does not hold the others back.
 *
 * @example
 * ```ts
 * import { lookedAt, recordLook } from "./_reap_turn.ts";
 * // const at = await lookedAt(sql, t, 800);
 * // if (at !== null) { await reapExpired(sql, t); await recordLook(sql, t, at); }
 * ```
 * @module
 */
import type { Db } from "./_sql.ts";

/**
 * The database's time now when no node recorded a look within the last `periodMs` (the caller
 * should look, then {@link recordLook} this time), or null (another node looked recently).
 *
 * @example
 * ```ts
 * import { lookedAt } from "./_reap_turn.ts";
 * // const at = await lookedAt(sql, tables("kron"), 800); // null: not this node's turn
 * ```
 */
export async function lookedAt(
  db: Db,
  t: { reaper: string },
  periodMs: number,
): Promise<Date | null> {
  const rows = await db.unsafe(
    `SELECT clock_timestamp() AS now,
       reaped_at > clock_timestamp() - $1::int * interval '1 millisecond' AS recent
     FROM ${t.reaper} WHERE id = 1`,
    [Math.round(periodMs)],
  );
  return rows[0].recent ? null : rows[0].now as Date;
}

/**
 * Records that a look began at `at` (what {@link lookedAt} answered); a later record wins.
 *
 * @example
 * ```ts
 * import { recordLook } from "./_reap_turn.ts";
 * // await recordLook(sql, tables("kron"), at);
 * ```
 */
export async function recordLook(db: Db, t: { reaper: string }, at: Date): Promise<void> {
  await db.unsafe(
    `UPDATE ${t.reaper} SET reaped_at = greatest(reaped_at, $1::timestamptz) WHERE id = 1`,
    [at.toISOString()],
  );
}
