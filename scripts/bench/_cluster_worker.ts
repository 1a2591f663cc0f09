// A worker process of scripts/bench/cluster.ts: `kron <urls> <token> [concurrency] [prefetch]`
// runs a KronWorker (64 runs at once by default, prefetch as many) on the no-op task; `pgboss-job <url>` / `pgboss-batch <url>` run pg-boss
// workers (8 per-job workers, or one batched worker of 64) on the same no-op queue.
import { KronWorker } from "../../src/cluster/worker.ts";

const [mode, url, token, concurrency, prefetch] = Deno.args;
if (mode === "kron") {
  // `url` lists every node (comma-separated).
  const worker = new KronWorker(url, {
    token,
    concurrency: Number(concurrency ?? 64),
    prefetch: Number(prefetch ?? concurrency ?? 64),
    waitMs: 5_000,
  });
  worker.task("noop", () => {});
  console.log("ready");
  await worker.run();
} else {
  // deno-lint-ignore no-import-prefix
  const mod = await import("npm:pg-boss@12.38.0") as Record<string, unknown>;
  // deno-lint-ignore no-explicit-any
  const PgBoss = (mod.PgBoss ?? mod.default) as any;
  const boss = new PgBoss({ connectionString: url, max: 10 });
  boss.on("error", () => {});
  await boss.start();
  if (mode === "pgboss-job") {
    // Per-job path as the docs describe it: work() with batchSize 1, several workers per process.
    for (let i = 0; i < 8; i++) {
      await boss.work("noop", { batchSize: 1, pollingIntervalSeconds: 0.5 }, async () => {});
    }
  } else {
    await boss.work("noop", { batchSize: 64, pollingIntervalSeconds: 0.5 }, async () => {});
  }
  console.log("ready");
  await new Promise(() => {});
}
