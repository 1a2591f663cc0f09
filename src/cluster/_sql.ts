/**
 * The PostgreSQL connection and the small SQL helpers every cluster module shares. Statements
 * name tables through a validated schema name, so several kron clusters (and the tests) can
 * share one database; everything else travels as bound parameters.
 *
 * @example
 * ```ts
 * import { connect, tables } from "./_sql.ts";
 * const sql = connect("postgres://kron@127.0.0.1/kron");
 * const t = tables("kron");
 * await sql.unsafe(`SELECT count(*) FROM ${t.jobs}`);
 * await sql.end();
 * ```
 * @module
 */
import postgres from "postgres";
import { getLogger } from "@logtape/logtape";
import { KronError } from "../errors.ts";

/**
 * A postgres.js connection pool.
 *
 * @example
 * ```ts
 * import type { Sql } from "./_sql.ts";
 * const count = async (sql: Sql) => (await sql.unsafe("SELECT 1 AS one"))[0].one;
 * ```
 */
// deno-lint-ignore no-explicit-any
export type Sql = postgres.Sql<any>;

/**
 * Anything that runs statements: a pool or a transaction.
 *
 * @example
 * ```ts
 * import type { Db } from "./_sql.ts";
 * const one = async (db: Db) => (await db.unsafe("SELECT 1 AS one"))[0].one;
 * ```
 */
export type Db = Pick<Sql, "unsafe">;

/**
 * Runs `fn` atomically: in a new transaction on a pool, under a savepoint inside a
 * transaction (so a call can join a caller's transaction, e.g. an idempotency key's record).
 *
 * @example
 * ```ts
 * import { atomically, type Sql } from "./_sql.ts";
 * const one = (sql: Sql) => atomically(sql, (tx) => tx.unsafe("SELECT 1"));
 * ```
 */
export function atomically<T>(
  db: Sql,
  // deno-lint-ignore no-explicit-any
  fn: (tx: postgres.TransactionSql<any>) => Promise<T>,
): Promise<T> {
  const tx = db as unknown as {
    // deno-lint-ignore no-explicit-any
    savepoint?: (cb: (tx: postgres.TransactionSql<any>) => Promise<T>) => Promise<T>;
  };
  return (typeof tx.savepoint === "function" ? tx.savepoint(fn) : db.begin(fn)) as Promise<T>;
}

/**
 * Valid schema names: a plain lowercase identifier, so it never needs quoting.
 *
 * @example
 * ```ts
 * import { SCHEMA_NAME } from "./_sql.ts";
 * SCHEMA_NAME.test("kron_test_1"); // true
 * ```
 */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/**
 * Checks a schema name (`--schema`, `KRON_PG_SCHEMA`).
 *
 * @example
 * ```ts
 * import { validateSchema } from "./_sql.ts";
 * validateSchema("kron"); // "kron"
 * ```
 */
export function validateSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new KronError(
      "invalid_option",
      `schema ${
        JSON.stringify(schema)
      } is invalid: use 1-48 of a-z 0-9 _ starting with a letter or _`,
    );
  }
  return schema;
}

/**
 * Fully qualified table names of one schema.
 *
 * @example
 * ```ts
 * import { tables } from "./_sql.ts";
 * tables("kron").runs; // "kron.runs"
 * ```
 */
export function tables(schema: string): {
  schema: string;
  jobs: string;
  runs: string;
  queue: string;
  history: string;
  events: string;
  eventLog: string;
  eventSeq: string;
  migrations: string;
  tokens: string;
  idempotency: string;
  reaper: string;
  channel: string;
} {
  validateSchema(schema);
  return {
    schema,
    jobs: `${schema}.jobs`,
    // Every run attempt, open or finished (a read-only view of the two tables below, since
    // schema version 8): what reads of "any run" use (a run by id, a job's history).
    runs: `${schema}.runs`,
    // Runs not finished (pending or running): what claims, heartbeats, the reaper and overlap
    // checks read. A run leaves it when it finishes.
    queue: `${schema}.run_queue`,
    // Finished runs, written once when they finish.
    history: `${schema}.run_history`,
    events: `${schema}.events`,
    // The events table and the run events derived from `runs` (migration 5), in one view.
    eventLog: `${schema}.event_log`,
    // The events' sequence (bigserial), which derived run events draw their positions from.
    eventSeq: `${schema}.events_seq_seq`,
    migrations: `${schema}.schema_migrations`,
    tokens: `${schema}.fencing_tokens`,
    idempotency: `${schema}.idempotency_keys`,
    reaper: `${schema}.reaper`,
    // One LISTEN channel per schema: clusters sharing a database do not wake each other.
    channel: `kron_${schema}`,
  };
}

/**
 * SQL text formatting a timestamptz expression as the ISO-8601 UTC strings events carry.
 *
 * @example
 * ```ts
 * import { isoSql } from "./_sql.ts";
 * isoSql("now()"); // to_char(now() AT TIME ZONE 'UTC', …)
 * ```
 */
export function isoSql(expr: string): string {
  return `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * Options of {@link connect}.
 *
 * @example
 * ```ts
 * import type { ConnectOptions } from "./_sql.ts";
 * const o: ConnectOptions = { max: 4, application: "kron-node-1" };
 * ```
 */
export interface ConnectOptions {
  /** Pool size (default 8). */
  max?: number;
  /** `application_name` shown by `pg_stat_activity`. */
  application?: string;
  /** Settings every session of the pool starts with (startup parameters). */
  settings?: Record<string, string>;
}

/**
 * How long (ms) PostgreSQL lets one of kron's sessions sit idle inside a transaction before it
 * ends the session. kron's transactions (a tick, a claim, a completion, a job change) send
 * their statements back to back, milliseconds apart; a gap of seconds means the node's link to
 * the database stalled or was cut, or the node froze. Meanwhile the transaction holds row
 * locks the other nodes skip (`FOR UPDATE SKIP LOCKED`): without this limit a node behind a
 * link delayed 1.5 s held the runs of its claim through several round trips of seconds each,
 * then committed the claim for a worker that had given up on it (the job's next slots skipped
 * under overlap `skip` until the lease ran out); behind a cut link it held them until the
 * server's TCP keepalive noticed (hours). With it the locks return within this limit and
 * another node carries on; the stalled transaction rolls back and its node retries it.
 */
const TX_IDLE_LIMIT_MS = 2_000;

/**
 * Opens a pool. Connections are made lazily and re-made after PostgreSQL restarts: a query
 * that fails while the server is down rejects, and the next one reconnects (callers retry
 * with backoff).
 *
 * @example
 * ```ts
 * import { connect } from "./_sql.ts";
 * const sql = connect("postgres://kron@127.0.0.1:5432/kron", { max: 4 });
 * await sql.end();
 * ```
 */
export function connect(url: string, options: ConnectOptions = {}): Sql {
  guardDroppedConnections();
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new KronError(
      "invalid_option",
      `store ${JSON.stringify(redact(url))} is not a postgres:// URL`,
    );
  }
  return postgres(url, {
    max: options.max ?? 8,
    connect_timeout: 5,
    idle_timeout: 60,
    // postgres.js waits before re-opening a connection that failed, up to 20 s by default (3^n
    // / 100 s): after a restart that stalled queries for 5-15 s. kron's loops back off on
    // their own, so the driver's wait stays short: 50 ms doubling to 1 s.
    backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 1),
    // Notices (e.g. "schema already exists") are not news.
    onnotice: () => {},
    connection: {
      application_name: options.application ?? "kron",
      idle_in_transaction_session_timeout: TX_IDLE_LIMIT_MS,
      ...options.settings,
    },
    // int8 (fencing tokens, event seqs) as numbers: they stay far below 2^53.
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
      // postgres.js learns how to send arrays from a catalog query each new connection runs
      // first, and may bind the first statements of a fresh pool before it has
      // (porsager/postgres#789): ["tick"] then went as "tick", "malformed array literal", and a
      // node's first claims failed with a 500. kron binds arrays of these two types only (it
      // reads none: parsing stays the driver's).
      textArray: { to: 1009, from: [], serialize: arrayLiteral, parse: String },
      intArray: { to: 1007, from: [], serialize: arrayLiteral, parse: String },
    },
  });
}

/**
 * `xs` as a PostgreSQL array literal (each element quoted, null as NULL); a string is taken
 * as a literal already.
 *
 * @example
 * ```ts
 * import { arrayLiteral } from "./_sql.ts";
 * arrayLiteral(["a", 'b"c', null]); // '{"a","b\\"c",NULL}'
 * ```
 */
export function arrayLiteral(xs: readonly unknown[] | string): string {
  if (typeof xs === "string") return xs;
  const item = (x: unknown) =>
    x === null || x === undefined ? "NULL" : `"${String(x).replace(/[\\"]/g, "\\$&")}"`;
  return `{${xs.map(item).join(",")}}`;
}

let guarded = false;

/**
 * Two postgres.js (3.4.9) errors that PostgreSQL going away raises outside any query of ours.
 *
 * postgres.js may write a buffered chunk from a timer after its socket closed, when
 * PostgreSQL goes away abruptly (a crash, `pg_ctl stop -m immediate`): a TypeError thrown from
 * the timer, which ended the whole node process (found by tests/cluster/pg_restart_claim_test).
 * The connection's queries have already failed with CONNECTION_CLOSED and the pool reconnects,
 * so that one error is dropped (with a WARN line) instead of ending the process.
 */
function guardDroppedConnections(): void {
  if (guarded) return;
  guarded = true;
  let warned = false;
  globalThis.addEventListener("error", (e) => {
    const err = (e as ErrorEvent).error;
    if (
      !(err instanceof TypeError) || !/reading 'write'/.test(err.message) ||
      !/nextWrite[\s\S]*postgres|postgres[\s\S]*nextWrite/.test(String(err.stack))
    ) return;
    e.preventDefault();
    if (!warned) {
      warned = true;
      getLogger(["kron", "cluster"]).warn(
        "postgres.js wrote to a connection PostgreSQL had closed; ignored (it reconnects)",
      );
    }
  });
  // postgres.js fetches the array types on each new connection with a promise nobody awaits
  // (connection.js fetchArrayTypes); PostgreSQL resetting that connection (a restart while the
  // pool reconnects) rejects it with the raw socket error, which ended the node ("Uncaught (in
  // promise) Error: read ECONNRESET", tests/cluster/restart_test). kron awaits every query of
  // its own, and postgres.js is the only user of node:net sockets in a kron process, so such a
  // socket error unhandled is that one: dropped with a WARN; the next connection fetches again.
  let warnedReset = false;
  globalThis.addEventListener("unhandledrejection", (e) => {
    const err: unknown = e.reason;
    if (
      !(err instanceof Error) || !SOCKET_ERRORS.has(String((err as { code?: unknown }).code)) ||
      !/TCPWrap|stream_base_commons/.test(String(err.stack))
    ) return;
    e.preventDefault();
    if (!warnedReset) {
      warnedReset = true;
      getLogger(["kron", "cluster"]).warn(
        "a PostgreSQL connection was reset under postgres.js ({error}); ignored (it reconnects)",
        { error: err.message },
      );
    }
  });
}

/** Socket errors of a connection PostgreSQL dropped. */
const SOCKET_ERRORS = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNREFUSED"]);

/**
 * A connection URL with its password hidden, for messages and logs.
 *
 * @example
 * ```ts
 * import { redact } from "./_sql.ts";
 * redact("postgres://kron:secret@db/kron"); // "postgres://kron:***@db/kron"
 * ```
 */
export function redact(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*:)[^@]*@/, "$1***@");
}

/**
 * True for errors that mean "the database is not reachable right now" (connection refused
 * or closed, server shutting down or starting up, a session ended for idling in a transaction
 * longer than 2 s): worth a retry with backoff.
 *
 * @example
 * ```ts
 * import { isTransient } from "./_sql.ts";
 * isTransient(Object.assign(new Error("x"), { code: "ECONNREFUSED" })); // true
 * ```
 */
export function isTransient(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== "string") return false;
  return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" ||
    code === "25P03" ||
    code === "53300" || code.startsWith("CONNECT") || code.startsWith("CONNECTION") ||
    code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EPIPE" ||
    code === "ETIMEDOUT" || code === "ENOTFOUND";
}
