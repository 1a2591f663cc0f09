/**
 * Scenario 3 for the PostgreSQL peers: no-op jobs through pg-boss and graphile-worker (BullMQ
 * runs under Node, see ../node/bullmq_peer.mjs), each set up the way its docs recommend for throughput. `runs`
 * jobs are enqueued in bulk first (timed apart), then the workers start; the rate is jobs whose
 * completion the server has recorded, per second of processing. Timing only the processing
 * favours the peers: kron's figure includes creating every run.
 *
 * @example
 * ```ts
 * import { pgBossThroughput } from "./durable_peers.ts";
 * await pgBossThroughput({ url: "postgres://postgres@127.0.0.1:5432/postgres", runs: 10_000, batchSize: 100, workers: 4 });
 * ```
 * @module
 */
// Pinned peers live only in the benchmark, not in deno.json imports.
// deno-lint-ignore no-import-prefix
import { PgBoss } from "npm:pg-boss@12.38.0";
// Pinned peers live only in the benchmark, not in deno.json imports.
// deno-lint-ignore no-import-prefix
import { Logger, makeWorkerUtils, run as graphileRun } from "npm:graphile-worker@0.18.0";

/** Result of one durable peer run. */
export interface PeerThroughput {
  runs: number;
  runsPerS: number;
  enqueuePerS: number;
  settings: string;
}

/**
 * pg-boss: `insert` in chunks of 1,000, `work` with `batchSize`, LISTEN/NOTIFY on, burst
 * fetching while batches come back full.
 *
 * @example
 * ```ts
 * await pgBossThroughput({ url: "postgres://…", runs: 1000, batchSize: 100, workers: 4 });
 * ```
 */
export async function pgBossThroughput(
  p: { url: string; runs: number; batchSize: number; workers: number },
): Promise<PeerThroughput> {
  const boss = new PgBoss({ connectionString: p.url, useListenNotify: true, max: 20 });
  boss.on("error", (e: unknown) => console.error("pg-boss:", e));
  await boss.start();
  await boss.createQueue("bench", { notify: true });
  const t0 = performance.now();
  for (let i = 0; i < p.runs; i += 1000) {
    const n = Math.min(1000, p.runs - i);
    await boss.insert("bench", Array.from({ length: n }, (_, k) => ({ data: { i: i + k } })));
  }
  const enqueueS = (performance.now() - t0) / 1000;
  // Fresh statistics for the planner after the bulk load, as pg-boss's docs advise.
  const t1 = performance.now();
  let handled = 0;
  for (let w = 0; w < p.workers; w++) {
    await boss.work("bench", {
      batchSize: p.batchSize,
      pollingIntervalSeconds: 0.5,
      burstWhenBatchFull: true,
    }, (jobs: unknown[]) => {
      handled += jobs.length;
      return Promise.resolve();
    });
  }
  // Done when the server has every job completed (the handler's return is not yet recorded).
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    if (handled < p.runs) continue;
    const q = await boss.getQueue("bench");
    const left = q ? (q as unknown as { queuedCount: number; activeCount: number }) : null;
    if (!left || (left.queuedCount === 0 && left.activeCount === 0)) break;
  }
  const s = (performance.now() - t1) / 1000;
  await boss.stop({ graceful: false });
  return {
    runs: p.runs,
    runsPerS: Math.round(p.runs / s),
    enqueuePerS: Math.round(p.runs / enqueueS),
    settings:
      `work ×${p.workers}, batchSize ${p.batchSize}, burstWhenBatchFull, useListenNotify + queue notify, insert ×1000`,
  };
}

/**
 * graphile-worker: `addJobs` in chunks of 1,000, runner with `concurrency` and a local queue
 * (`localQueue.size`), batched completions (`completeJobBatchDelay: 0`), LISTEN/NOTIFY (its
 * default), prepared statements (default).
 *
 * @example
 * ```ts
 * await graphileThroughput({ url: "postgres://…", runs: 1000, concurrency: 24, localQueue: 64 });
 * ```
 */
export async function graphileThroughput(
  p: {
    url: string;
    runs: number;
    concurrency: number;
    localQueue: number;
    /** Time from the first claim to the last completion on the database's clock. */
    dbClock?: boolean;
  },
): Promise<PeerThroughput> {
  const utils = await makeWorkerUtils({ connectionString: p.url });
  await utils.migrate();
  const t0 = performance.now();
  for (let i = 0; i < p.runs; i += 1000) {
    const n = Math.min(1000, p.runs - i);
    await utils.addJobs(
      Array.from({ length: n }, (_, k) => ({ identifier: "noop", payload: { i: i + k } })),
    );
  }
  const enqueueS = (performance.now() - t0) / 1000;
  // The database's clock times the run: statement-level triggers stamp each claim (UPDATE)
  // and completion (DELETE) statement, one row per batch, not per job.
  if (p.dbClock) {
    await utils.withPgClient((c) =>
      c.query(`
    CREATE TABLE IF NOT EXISTS public.graphile_stamps (kind text, at timestamptz);
    TRUNCATE public.graphile_stamps;
    CREATE OR REPLACE FUNCTION public.graphile_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO public.graphile_stamps VALUES (TG_ARGV[0], clock_timestamp()); RETURN NULL; END $$;
    DROP TRIGGER IF EXISTS bench_claimed ON graphile_worker._private_jobs;
    DROP TRIGGER IF EXISTS bench_done ON graphile_worker._private_jobs;
    CREATE TRIGGER bench_claimed AFTER UPDATE ON graphile_worker._private_jobs
      FOR EACH STATEMENT EXECUTE FUNCTION public.graphile_stamp('claim');
    CREATE TRIGGER bench_done AFTER DELETE ON graphile_worker._private_jobs
      FOR EACH STATEMENT EXECUTE FUNCTION public.graphile_stamp('done');`)
    );
  }
  const t1 = performance.now();
  const runner = await graphileRun({
    connectionString: p.url,
    concurrency: p.concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    taskList: { noop: async () => {} },
    // A line per job on the console would cost graphile-worker more than the job.
    ...(p.dbClock ? { logger: new Logger(() => () => {}) } : {}),
    preset: {
      worker: {
        localQueue: { size: p.localQueue },
        completeJobBatchDelay: 0,
        maxPoolSize: p.concurrency + 2,
      },
    },
  });
  // Completed jobs are deleted: done when no job is left.
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const { rows } = await utils.withPgClient((c) =>
      c.query("select count(*)::int as n from graphile_worker.jobs")
    );
    if ((rows[0] as { n: number }).n === 0) break;
  }
  const wallS = (performance.now() - t1) / 1000;
  await runner.stop();
  const dbS = p.dbClock
    ? ((await utils.withPgClient((c) =>
      c.query(`SELECT extract(epoch FROM max(at) FILTER (WHERE kind = 'done')
        - min(at) FILTER (WHERE kind = 'claim'))::float8 AS s FROM public.graphile_stamps`)
    )).rows[0] as { s: number | null }).s
    : null;
  await utils.release();
  // First claim to last completion on the database's clock (the wall clock as a fallback).
  const s = dbS && dbS > 0 ? dbS : wallS;
  return {
    runs: p.runs,
    runsPerS: Math.round(p.runs / s),
    enqueuePerS: Math.round(p.runs / enqueueS),
    settings:
      `concurrency ${p.concurrency}, localQueue.size ${p.localQueue}, completeJobBatchDelay 0, LISTEN/NOTIFY, addJobs ×1000`,
  };
}
