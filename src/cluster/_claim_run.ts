/**
 * How the claim statement (claims.ts) is sent: with its planner settings, as a named prepared
 * statement run with its generic plan.
 *
 * The queue churns (pending → running → gone): between autovacuum/analyze rounds the planner
 * underestimates the pending rows and picks a bitmap scan of every pending row plus a sort,
 * which visits every dead index entry on every claim (tens of ms under load); or, after an
 * analyze that saw the queue empty, a sequential scan of it and a sort (36 ms per claim of 250
 * runs from a backlog of 20,000, against ~4 ms). An ordered index scan stops after `max` rows
 * and skips dead entries once marked. JIT is off too: the planner's cost of the overlap checks
 * (never run for `overlap: "allow"`) may pass jit_above_cost with such statistics, and
 * compiling the statement then took ~110 ms per claim. With these settings the only plan left
 * for finding the runs is the ordered scan of the due-time index, whatever the parameters, so
 * the generic plan is used: planning took ~1 ms a call. The batch completion is prepared on the
 * same pool (`runTuned`). A pooler in transaction mode must keep prepared statements.
 *
 * A node that owns its connections keeps a small pool for claims whose sessions start with the
 * settings: a claim is then one statement in one round trip. Set per claim instead (a pool
 * shared with other statements), they take a transaction: `BEGIN`, the settings and the claim
 * (pipelined), `COMMIT`, three round trips and four statements, which cost a node and
 * PostgreSQL more per claim than the claim's own work at claims of ~25 runs (docs/cluster.md).
 * A Postgres-compatible database without the settings refuses them once; claims then go plain
 * (unprepared, in a transaction).
 *
 * @example
 * ```ts
 * import { CLAIM_SETTINGS } from "./_claim_run.ts";
 * CLAIM_SETTINGS.jit; // "off"
 * ```
 * @module
 */
import type { Db, Sql } from "./_sql.ts";

/**
 * The planner settings of a claim (see the module doc), as session settings.
 *
 * @example
 * ```ts
 * import { CLAIM_SETTINGS } from "./_claim_run.ts";
 * import { connect } from "./_sql.ts";
 * const claims = connect("postgres://kron@127.0.0.1/kron", { max: 4, settings: CLAIM_SETTINGS });
 * ```
 */
export const CLAIM_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  enable_bitmapscan: "off",
  enable_seqscan: "off",
  jit: "off",
  plan_cache_mode: "force_generic_plan",
});

/** Pools whose database refused the settings (unknown setting). */
const plain = new WeakSet<Sql>();

const UNKNOWN_SETTING = "42704";

function refused(e: unknown): boolean {
  return (e as { code?: string })?.code === UNKNOWN_SETTING;
}

/**
 * Runs `statement` as a named prepared statement on `tuned` (its generic plan, with the
 * claim's planner settings) when given and its database took the settings, else unprepared
 * on `sql`. For statements whose generic plan is as good as a custom one (the batch
 * completion): it saves planning each call.
 *
 * @example
 * ```ts
 * import { runTuned } from "./_claim_run.ts";
 * // const rows = await runTuned(sql, (db, prepare) => db.unsafe(text, params, { prepare }), claimPool);
 * ```
 */
export async function runTuned<T>(
  sql: Sql,
  statement: (db: Db, prepare: boolean) => Promise<T>,
  tuned?: Sql,
): Promise<T> {
  const done = await onTuned(statement, tuned);
  return done !== null ? done.value : await statement(sql, false);
}

/**
 * `statement` run prepared on `tuned`, or null when there is none or its database refused the
 * settings (remembered: the caller's fallback from then on).
 */
async function onTuned<T>(
  statement: (db: Db, prepare: boolean) => Promise<T>,
  tuned: Sql | undefined,
): Promise<{ value: T } | null> {
  if (tuned === undefined || plain.has(tuned)) return null;
  try {
    return { value: await statement(tuned, true) };
  } catch (e) {
    if (!refused(e)) throw e;
    plain.add(tuned);
    return null;
  }
}

/**
 * Runs `claim` (the statement, `prepare` when it may be a named prepared statement) with the
 * claim's planner settings: on `tuned` (a pool whose sessions start with
 * {@link CLAIM_SETTINGS}) as one statement when given, else in a transaction of `sql` that sets
 * them first.
 *
 * @example
 * ```ts
 * import { runClaim } from "./_claim_run.ts";
 * // const rows = await runClaim(sql, (db, prepare) => db.unsafe(text, params, { prepare }), claimPool);
 * ```
 */
export async function runClaim<T>(
  sql: Sql,
  claim: (db: Db, prepare: boolean) => Promise<T>,
  tuned?: Sql,
): Promise<T> {
  const done = await onTuned(claim, tuned);
  if (done !== null) return done.value;
  const inTx = async (tx: Db, settings: boolean) => {
    const [, out] = await Promise.all([
      settings
        ? tx.unsafe(
          `SELECT ${
            Object.keys(CLAIM_SETTINGS).map((_, i) =>
              `set_config($${2 * i + 1}, $${2 * i + 2}, true)`
            )
              .join(", ")
          }`,
          Object.entries(CLAIM_SETTINGS).flat(),
        )
        : null,
      claim(tx, settings),
    ]);
    return out;
  };
  if (plain.has(sql)) return await sql.begin((tx) => inTx(tx, false)) as T;
  try {
    return await sql.begin((tx) => inTx(tx, true)) as T;
  } catch (e) {
    if (!refused(e)) throw e;
    plain.add(sql);
    return await sql.begin((tx) => inTx(tx, false)) as T;
  }
}
