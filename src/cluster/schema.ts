/**
 * The cluster's tables and their versioned migrations. Every node runs {@link migrate} on
 * start; the migrations run in one transaction under a transaction-scoped advisory lock, so
 * any number of nodes starting at once apply each version exactly once (the others wait for
 * the lock, then find nothing left to do).
 *
 * Tables (in the configured schema, default `kron`):
 * - `jobs`: one row per job: definition (the same JSON record the embedded log holds), task,
 *   payload, schedule anchor, cursor (last nominal time consumed), next due time, pause and
 *   failure state.
 * - `run_queue`: one row per run attempt not finished (pending or running), `run_history`: one
 *   per finished attempt (since version 8; the view `runs` shows both). Each is unique on
 *   (`idempotency_key`, `attempt`): a scheduled occurrence's key is `job:<nominal time>`, so no
 *   ticker can create one occurrence twice. A claimed attempt holds a lease and the fencing
 *   token it was claimed with.
 * - `events`: the event history, with the event types and JSON shapes of the embedded log;
 *   a run's `RUN_STARTED` and `RUN_SUCCEEDED` are derived from its run's row instead (view
 *   `event_log`: both, in stream order).
 * - `fencing_tokens`: the sequence fencing tokens come from (monotonic across the cluster).
 *
 * The SQL stays within what Postgres-compatible distributed databases accept: no extensions,
 * no triggers, no stored procedures; partial indexes and `FOR UPDATE SKIP LOCKED` only.
 *
 * @example
 * ```ts
 * import { migrate } from "./schema.ts";
 * import { connect } from "./_sql.ts";
 * const sql = connect("postgres://postgres@127.0.0.1:5432/postgres");
 * await migrate(sql, "kron"); // { from: 0, to: 1 }
 * await sql.end();
 * ```
 * @module
 */
import { isoSql, type Sql, tables } from "./_sql.ts";

// Migration 8's text (like every migration's, never to change once applied): the columns a run
// has while open (`run_queue`); a finished run (`run_history`) has them and what finishing
// adds. And the derived run events' JSON, as the embedded log writes them (`r`: a run's row).
const V8_COLUMNS = "id, job, task, payload, scheduled_at, idempotency_key, attempt, trigger, " +
  "jitter_ms, timeout_ms, status, run_at, lease_until, fencing_token, worker, started_at, " +
  "started_seq, created_at";
const V8_RUN_STARTED = `jsonb_build_object('type', 'RUN_STARTED', 'time', ${
  isoSql("r.started_at")
}, 'job', r.job, 'runId', r.id, 'attempt', r.attempt, 'scheduledAt', ${
  isoSql("r.scheduled_at")
}, 'idempotencyKey', r.idempotency_key, 'trigger', r.trigger, 'jitterMs', r.jitter_ms)`;
const V8_RUN_SUCCEEDED = `jsonb_build_object('type', 'RUN_SUCCEEDED', 'time', ${
  isoSql("r.finished_at")
}, 'job', r.job, 'runId', r.id, 'attempt', r.attempt, 'durationMs', r.duration_ms,
  'exitCode', NULL)`;

/**
 * One schema version: SQL run once, in order, with `{s}` standing for the schema name.
 *
 * @example
 * ```ts
 * import type { Migration } from "./schema.ts";
 * const m: Migration = { version: 2, sql: ["ALTER TABLE {s}.jobs ADD COLUMN note text"] };
 * ```
 */
export interface Migration {
  version: number;
  sql: string[];
  /**
   * Tuning statements a Postgres-compatible database may refuse (storage parameters): each
   * runs under a savepoint, and an error only skips it.
   */
  optional?: string[];
}

/**
 * Every migration, oldest first. Append new versions; never edit an applied one.
 *
 * @example
 * ```ts
 * import { MIGRATIONS } from "./schema.ts";
 * MIGRATIONS.at(-1)!.version; // the current schema version
 * ```
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: [
      `CREATE SEQUENCE {s}.fencing_tokens`,
      `CREATE TABLE {s}.jobs (
        name text PRIMARY KEY,
        kind text NOT NULL,
        task text NOT NULL,
        payload jsonb,
        def jsonb NOT NULL,
        def_hash text NOT NULL,
        anchor_at timestamptz NOT NULL,
        cursor_at timestamptz,
        next_due_at timestamptz,
        paused boolean NOT NULL DEFAULT false,
        paused_until timestamptz,
        stopped boolean NOT NULL DEFAULT false,
        consecutive_failures integer NOT NULL DEFAULT 0,
        last_finished_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX jobs_next_due ON {s}.jobs (next_due_at)`,
      `CREATE TABLE {s}.runs (
        id text PRIMARY KEY,
        job text NOT NULL,
        task text NOT NULL,
        payload jsonb,
        scheduled_at timestamptz NOT NULL,
        idempotency_key text NOT NULL,
        attempt integer NOT NULL,
        trigger text NOT NULL,
        jitter_ms integer NOT NULL DEFAULT 0,
        timeout_ms integer,
        status text NOT NULL,
        run_at timestamptz NOT NULL,
        lease_until timestamptz,
        fencing_token bigint,
        worker text,
        started_at timestamptz,
        finished_at timestamptz,
        duration_ms integer,
        error text,
        exit_code integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (idempotency_key, attempt)
      )`,
      `CREATE INDEX runs_pending ON {s}.runs (run_at) WHERE status = 'pending'`,
      `CREATE INDEX runs_leased ON {s}.runs (lease_until) WHERE status = 'running'`,
      `CREATE INDEX runs_by_job ON {s}.runs (job, id)`,
      `CREATE TABLE {s}.events (
        seq bigserial PRIMARY KEY,
        time timestamptz NOT NULL,
        type text NOT NULL,
        job text,
        run_id text,
        data jsonb NOT NULL
      )`,
      `CREATE INDEX events_by_job ON {s}.events (job, seq)`,
    ],
  },
  {
    // Claims judge overlap against a job's runs in flight or pending (and triggers check for
    // them): a small index of just those, instead of the job's whole history.
    version: 2,
    sql: [
      `CREATE INDEX runs_active_by_job ON {s}.runs (job, scheduled_at)
         WHERE status IN ('pending', 'running')`,
    ],
    // `runs` is a queue: every run passes pending → running → done, leaving dead entries in
    // the partial indexes claims scan, and the history makes the default 20% threshold grow
    // without bound. Vacuum and analyze it after a fixed number of changes instead, so the
    // claim plans stay index scans over live rows.
    optional: [
      `ALTER TABLE {s}.runs SET (autovacuum_vacuum_scale_factor = 0,
         autovacuum_vacuum_threshold = 2000, autovacuum_analyze_scale_factor = 0,
         autovacuum_analyze_threshold = 2000, autovacuum_vacuum_cost_delay = 0)`,
    ],
  },
  {
    // `on_error = "backoff"` moves a failing job's next slot later; `backoff_from` keeps the
    // slot it would have run without backoff, to return to after a success (as the engine
    // re-arms from its cursor). History beyond `history_limit` is pruned; `pruned_runs`
    // counts what went, so a job's total of runs stays true.
    version: 3,
    sql: [
      `ALTER TABLE {s}.jobs ADD COLUMN backoff_from timestamptz`,
      `ALTER TABLE {s}.jobs ADD COLUMN pruned_runs bigint NOT NULL DEFAULT 0`,
    ],
  },
  {
    // Idempotency keys of `trigger` and a job's `PUT` (idempotency.ts): the answer recorded
    // with the call's effect, so a client may send the call again to another node.
    version: 4,
    sql: [
      `CREATE TABLE {s}.idempotency_keys (
        key text PRIMARY KEY,
        request text NOT NULL,
        status integer,
        body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`,
      `CREATE INDEX idempotency_keys_expiry ON {s}.idempotency_keys (expires_at)`,
    ],
  },
  {
    // A run's RUN_STARTED and RUN_SUCCEEDED are facts its `runs` row already holds: instead of
    // two more rows in `events` per run (with their JSON and index entries), the row keeps the
    // positions those events take in the event stream (drawn from the events' sequence when
    // the run is claimed and when it succeeds), and `event_log` shows the events table and the
    // derived events as one. Runs recorded before this version keep their event rows and no
    // positions, so nothing shows twice; a node of an older version keeps writing rows.
    version: 5,
    sql: [
      `ALTER TABLE {s}.runs ADD COLUMN started_seq bigint, ADD COLUMN done_seq bigint`,
      `CREATE INDEX runs_started_seq ON {s}.runs (started_seq) WHERE started_seq IS NOT NULL`,
      `CREATE INDEX runs_done_seq ON {s}.runs (done_seq) WHERE done_seq IS NOT NULL`,
      `CREATE VIEW {s}.event_log AS
         SELECT e.seq, e.time, e.type, e.job, e.run_id, e.data FROM {s}.events e
         UNION ALL
         SELECT r.started_seq, r.started_at, 'RUN_STARTED', r.job, r.id, jsonb_build_object(
           'type', 'RUN_STARTED', 'time', ${isoSql("r.started_at")}, 'job', r.job,
           'runId', r.id, 'attempt', r.attempt, 'scheduledAt', ${isoSql("r.scheduled_at")},
           'idempotencyKey', r.idempotency_key, 'trigger', r.trigger, 'jitterMs', r.jitter_ms)
         FROM {s}.runs r WHERE r.started_seq IS NOT NULL
         UNION ALL
         SELECT r.done_seq, r.finished_at, 'RUN_SUCCEEDED', r.job, r.id, jsonb_build_object(
           'type', 'RUN_SUCCEEDED', 'time', ${isoSql("r.finished_at")}, 'job', r.job,
           'runId', r.id, 'attempt', r.attempt, 'durationMs', r.duration_ms, 'exitCode', NULL)
         FROM {s}.runs r WHERE r.done_seq IS NOT NULL`,
    ],
  },
  {
    // Claiming a run (and a heartbeat) writes no index entry: no index names a column a claim
    // changes (`status`, the lease, the token, `started_seq`), so with room on the row's page
    // PostgreSQL updates it in place (a HOT update). Before, a claim wrote the row's 6 index
    // entries again, and those entries were the bulk of a run's database work. Runs not
    // finished (pending or running: every end of a run sets `finished_at`) are indexed by due
    // time and by job; a claim passes over the running ones. A run's RUN_STARTED position is
    // indexed once it has finished (`started_pos`, computed); running ones are read through
    // `runs_open`. The free space per page (fillfactor) is what lets claims stay on the page.
    version: 6,
    sql: [
      `ALTER TABLE {s}.runs ADD COLUMN started_pos bigint GENERATED ALWAYS AS
         (CASE WHEN finished_at IS NOT NULL THEN started_seq END) STORED`,
      `CREATE INDEX runs_open ON {s}.runs (run_at) WHERE finished_at IS NULL`,
      `CREATE INDEX runs_open_by_job ON {s}.runs (job, scheduled_at) WHERE finished_at IS NULL`,
      `CREATE INDEX runs_started_pos ON {s}.runs (started_pos) WHERE started_pos IS NOT NULL`,
      `DROP INDEX {s}.runs_started_seq`,
      `DROP INDEX {s}.runs_pending`,
      `DROP INDEX {s}.runs_leased`,
      `DROP INDEX {s}.runs_active_by_job`,
    ],
    optional: [`ALTER TABLE {s}.runs SET (fillfactor = 50)`],
  },
  {
    // Finding leases that ran out now reads every open run (no index of running runs: it
    // would make claims write index entries again, see version 6), so the nodes take turns:
    // one row holds when the cluster last looked (_reap_turn.ts).
    version: 7,
    sql: [
      `CREATE TABLE {s}.reaper (id integer PRIMARY KEY, reaped_at timestamptz NOT NULL)`,
      `INSERT INTO {s}.reaper (id, reaped_at) VALUES (1, '-infinity')`,
    ],
  },
  {
    // Open runs and finished runs in two tables. `run_queue` holds the runs not finished
    // (pending or running): what claims, heartbeats, the reaper and the overlap checks read,
    // small whatever the history. A run leaves it when it finishes (a DELETE: no new row
    // version, no index entry) and is written once into `run_history` (the former `runs`, which
    // keeps every finished run and its indexes). Before, finishing a run updated its row in
    // `runs`, changing `finished_at`, which the open-run indexes are filtered on: never a HOT
    // update, so a new row version and all its index entries per run, and dead versions left in
    // the indexes claims scan. The runs open at the upgrade move to the queue with their lease,
    // fencing token and stream position, so they are claimed or completed once as before.
    // `runs` is now a view of both tables, read-only: reading any run (by id, a job's history)
    // reads it, and a node of an older version, whose writes name `runs`, fails them (an error
    // each time) instead of writing where nothing reads. Upgrade every node together.
    version: 8,
    sql: [
      `ALTER TABLE {s}.runs RENAME TO run_history`,
      `CREATE TABLE {s}.run_queue (
        id text PRIMARY KEY,
        job text NOT NULL,
        task text NOT NULL,
        payload jsonb,
        scheduled_at timestamptz NOT NULL,
        idempotency_key text NOT NULL,
        attempt integer NOT NULL,
        trigger text NOT NULL,
        jitter_ms integer NOT NULL DEFAULT 0,
        timeout_ms integer,
        status text NOT NULL,
        run_at timestamptz NOT NULL,
        lease_until timestamptz,
        fencing_token bigint,
        worker text,
        started_at timestamptz,
        started_seq bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (idempotency_key, attempt)
      )`,
      `INSERT INTO {s}.run_queue (${V8_COLUMNS})
         SELECT ${V8_COLUMNS} FROM {s}.run_history WHERE finished_at IS NULL`,
      `DELETE FROM {s}.run_history WHERE finished_at IS NULL`,
      `CREATE INDEX run_queue_due ON {s}.run_queue (run_at)`,
      `CREATE INDEX run_queue_by_job ON {s}.run_queue (job, scheduled_at)`,
      `DROP INDEX {s}.runs_open`,
      `DROP INDEX {s}.runs_open_by_job`,
      `DROP VIEW {s}.event_log`,
      `CREATE VIEW {s}.event_log AS
         SELECT e.seq, e.time, e.type, e.job, e.run_id, e.data FROM {s}.events e
         UNION ALL
         SELECT r.started_seq, r.started_at, 'RUN_STARTED', r.job, r.id, ${V8_RUN_STARTED}
         FROM {s}.run_history r WHERE r.started_seq IS NOT NULL
         UNION ALL
         SELECT r.started_seq, r.started_at, 'RUN_STARTED', r.job, r.id, ${V8_RUN_STARTED}
         FROM {s}.run_queue r WHERE r.started_seq IS NOT NULL
         UNION ALL
         SELECT r.done_seq, r.finished_at, 'RUN_SUCCEEDED', r.job, r.id, ${V8_RUN_SUCCEEDED}
         FROM {s}.run_history r WHERE r.done_seq IS NOT NULL`,
      `CREATE VIEW {s}.runs AS
         SELECT ${V8_COLUMNS}, NULL::timestamptz AS finished_at,
           NULL::integer AS duration_ms, NULL::text AS error, NULL::integer AS exit_code,
           NULL::bigint AS done_seq
         FROM {s}.run_queue
         UNION ALL
         SELECT ${V8_COLUMNS}, finished_at, duration_ms, error, exit_code, done_seq
         FROM {s}.run_history`,
    ],
    // The queue churns as `runs` did (version 2's vacuum settings; version 6's free space
    // for claims updated in place). The history is written once per run and read: full pages,
    // and the default autovacuum thresholds (it grows; a fixed threshold of 2,000 changes
    // analyzed it every 2,000 runs).
    optional: [
      `ALTER TABLE {s}.run_queue SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0,
         autovacuum_vacuum_threshold = 2000, autovacuum_analyze_scale_factor = 0,
         autovacuum_analyze_threshold = 2000, autovacuum_vacuum_cost_delay = 0)`,
      `ALTER TABLE {s}.run_history RESET (fillfactor, autovacuum_vacuum_scale_factor,
         autovacuum_vacuum_threshold, autovacuum_analyze_scale_factor,
         autovacuum_analyze_threshold, autovacuum_vacuum_cost_delay)`,
    ],
  },
];

/**
 * The newest schema version this build knows.
 *
 * @example
 * ```ts
 * import { SCHEMA_VERSION } from "./schema.ts";
 * SCHEMA_VERSION >= 1; // true
 * ```
 */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Advisory lock class of kron migrations (the second key is a hash of the schema name). */
const LOCK_CLASS = 0x6b726f6e; // "kron"

function schemaKey(schema: string): number {
  let h = 0;
  for (let i = 0; i < schema.length; i++) h = (Math.imul(h, 31) + schema.charCodeAt(i)) | 0;
  return h;
}

/**
 * Creates the schema if needed and applies the missing migrations, under an advisory lock.
 * Refuses a database whose schema is newer than this build.
 *
 * @example
 * ```ts
 * import { migrate } from "./schema.ts";
 * import { connect } from "./_sql.ts";
 * const sql = connect(Deno.env.get("KRON_STORE")!);
 * const { from, to } = await migrate(sql, "kron");
 * ```
 */
export async function migrate(sql: Sql, schema: string): Promise<{ from: number; to: number }> {
  const t = tables(schema);
  return await sql.begin(async (tx) => {
    await tx.unsafe(`SELECT pg_advisory_xact_lock($1, $2)`, [LOCK_CLASS, schemaKey(schema)]);
    await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.unsafe(
      `CREATE TABLE IF NOT EXISTS ${t.migrations} (
        version integer PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const rows = await tx.unsafe(`SELECT coalesce(max(version), 0) AS v FROM ${t.migrations}`);
    const from = Number(rows[0].v);
    if (from > SCHEMA_VERSION) {
      throw new Error(
        `schema ${schema} is at version ${from}, newer than this kron (${SCHEMA_VERSION}): upgrade kron`,
      );
    }
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      for (const stmt of m.sql) await tx.unsafe(stmt.replaceAll("{s}", schema));
      for (const stmt of m.optional ?? []) {
        await tx.savepoint((sp) => sp.unsafe(stmt.replaceAll("{s}", schema))).catch(() => {});
      }
      await tx.unsafe(`INSERT INTO ${t.migrations} (version) VALUES ($1)`, [m.version]);
    }
    return { from, to: SCHEMA_VERSION };
  });
}

/**
 * Drops a schema and everything in it (tests and `kron server --reset` style tooling).
 *
 * @example
 * ```ts
 * import { dropSchema } from "./schema.ts";
 * // await dropSchema(sql, "kron_test_1");
 * ```
 */
export async function dropSchema(sql: Sql, schema: string): Promise<void> {
  tables(schema);
  await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}
