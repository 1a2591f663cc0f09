/**
 * Idempotency keys for the calls that are not idempotent by nature (`trigger`, a job's `PUT`).
 * A client sends `Idempotency-Key: <key>`; the node records the key, a fingerprint of the
 * request and the answer in the same transaction as the call's effect, so the effect and its
 * record commit together or not at all. A repeat of the key, on any node, answers the recorded
 * answer without acting again; a repeat racing the first waits on the key's row and then
 * answers the same. So a client may send the call again to another node after a reset, a 5xx
 * or a timeout, when it cannot know whether the first request reached a node: a retried
 * trigger never starts two runs.
 *
 * Keys live {@link IDEMPOTENCY_TTL_MS} (24 h) and are pruned by the nodes' background loop. A
 * call that fails (404, 409, 400) records nothing: its effect did not happen, so a retry acts.
 * A key sent again with another request (method, path or body) is refused with 422.
 *
 * @example
 * ```ts
 * import { withIdempotencyKey } from "./idempotency.ts";
 * // const answer = await withIdempotencyKey(sql, t, key, "POST /v1/jobs/a/trigger {}",
 * //   async (tx) => ({ status: 202, body: { runId: await triggerJob(tx, t, "a") } }));
 * ```
 * @module
 */
import { ApiError } from "../http/mod.ts";
import type { Db, Sql } from "./_sql.ts";
import type { Tables } from "./jobs.ts";

/**
 * How long a node remembers an idempotency key (ms).
 *
 * @example
 * ```ts
 * import { IDEMPOTENCY_TTL_MS } from "./idempotency.ts";
 * IDEMPOTENCY_TTL_MS; // 86400000
 * ```
 */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/** What a key may look like: 1-255 visible ASCII characters. */
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The key of a request's `Idempotency-Key` header, or null without one; 400 when malformed.
 *
 * @example
 * ```ts
 * import { idempotencyKeyOf } from "./idempotency.ts";
 * idempotencyKeyOf(new Headers({ "idempotency-key": "01J9ZK…" })); // "01J9ZK…"
 * ```
 */
export function idempotencyKeyOf(headers: Headers): string | null {
  const key = headers.get("idempotency-key");
  if (key === null) return null;
  if (!KEY.test(key)) {
    throw new ApiError(
      400,
      "bad_request",
      "Idempotency-Key must be 1-255 visible ASCII characters",
    );
  }
  return key;
}

/**
 * A recorded answer.
 *
 * @example
 * ```ts
 * import type { KeyedAnswer } from "./idempotency.ts";
 * const a: KeyedAnswer = { status: 202, body: { runId: "01J…" }, replayed: false };
 * ```
 */
export interface KeyedAnswer {
  status: number;
  body: unknown;
  /** True when this is the answer recorded by an earlier request with the key. */
  replayed: boolean;
}

/**
 * Runs `act` in one transaction with the key's record; answers the recorded answer when the
 * key was used before (see the module doc). `request` identifies the call (method, path, body).
 *
 * @example
 * ```ts
 * import { withIdempotencyKey } from "./idempotency.ts";
 * // await withIdempotencyKey(sql, t, "k1", "POST /v1/jobs/a/trigger {}", async (tx) => ({ status: 202, body: {} }));
 * ```
 */
export async function withIdempotencyKey(
  sql: Sql,
  t: Tables,
  key: string,
  request: string,
  act: (tx: Sql) => Promise<{ status: number; body: unknown }>,
): Promise<KeyedAnswer> {
  return await sql.begin(async (tx) => {
    // An expired key is forgotten even before the pruner gets to it.
    await tx.unsafe(
      `DELETE FROM ${t.idempotency} WHERE key = $1 AND expires_at < clock_timestamp()`,
      [key],
    );
    // A concurrent first use holds the row's lock until it commits or rolls back: this
    // waits, then either inserts (the other rolled back) or finds its answer.
    const mine = await tx.unsafe(
      `INSERT INTO ${t.idempotency} (key, request, expires_at)
       VALUES ($1, $2, clock_timestamp() + $3::int * interval '1 millisecond')
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [key, request, IDEMPOTENCY_TTL_MS],
    );
    if (mine.length === 0) {
      const [row] = await tx.unsafe(
        `SELECT request, status, body FROM ${t.idempotency} WHERE key = $1`,
        [key],
      );
      if (row.request !== request) {
        throw new ApiError(
          422,
          "idempotency_key_reused",
          `Idempotency-Key ${JSON.stringify(key)} was used for another request (${row.request})`,
        );
      }
      return { status: row.status as number, body: row.body, replayed: true };
    }
    const answer = await act(tx as unknown as Sql);
    await tx.unsafe(
      `UPDATE ${t.idempotency} SET status = $2, body = $3::text::jsonb WHERE key = $1`,
      [key, answer.status, JSON.stringify(answer.body)],
    );
    return { ...answer, replayed: false };
  });
}

/**
 * Forgets keys past their lifetime; resolves to how many went.
 *
 * @example
 * ```ts
 * import { pruneIdempotencyKeys } from "./idempotency.ts";
 * // await pruneIdempotencyKeys(sql, t);
 * ```
 */
export async function pruneIdempotencyKeys(sql: Db, t: Tables): Promise<number> {
  const rows = await sql.unsafe(
    `DELETE FROM ${t.idempotency} WHERE expires_at < clock_timestamp() RETURNING 1`,
  );
  return rows.length;
}
