/**
 * Micro-benchmark of the TS job sandbox: the cost of a job file's load in a worker, of a job
 * worker's start (first run), and the per-run overhead of the worker path (a message round
 * trip to a pooled worker; one by one, and a burst whose runs travel together) against calling
 * the same function in-process.
 *
 * @example
 * ```sh
 * deno run --allow-all --unstable-worker-options scripts/bench/worker.ts
 * ```
 * @module
 */
import type { RunContext } from "../../src/engine/types.ts";
import { loadJobFile } from "../../src/jobs/job_file.ts";
import { emptyPermissions } from "../../src/jobs/runtime.ts";
import { SandboxPools } from "../../src/jobs/sandbox_pool.ts";

const dir = await Deno.makeTempDir({ prefix: "kron-bench-worker-" });
const path = `${dir}/jobs.ts`;
await Deno.writeTextFile(
  path,
  `let n = 0;\nexport default { tick: { every: "1m", run: (ctx) => { n += ctx.attempt; } } };\n`,
);
let n = 0;
const ctx = (): RunContext => ({
  job: "tick",
  runId: `R${++n}`,
  attempt: 1,
  scheduledAt: new Date(),
  idempotencyKey: `tick:${n}`,
  signal: new AbortController().signal,
  log: { info() {}, warn() {}, error() {} },
});
const ms = (t0: number, runs = 1) => ((performance.now() - t0) / runs).toFixed(3);

try {
  let t0 = performance.now();
  const loads = 10;
  for (let i = 0; i < loads; i++) await loadJobFile(path, { sandbox: emptyPermissions() });
  console.log(`load jobs.ts in a sandbox worker: ${ms(t0, loads)} ms/load (${loads} loads)`);

  const starts = 10;
  t0 = performance.now();
  const pools = () => new SandboxPools({ path, grant: emptyPermissions(), size: 1 });
  for (let i = 0; i < starts; i++) {
    const s = pools();
    await s.executor("tick", emptyPermissions(), false)(ctx());
    s.close();
  }
  console.log(`job worker start + first run: ${ms(t0, starts)} ms (${starts} workers)`);

  const runs = 5000;
  const sandbox = pools();
  const exec = sandbox.executor("tick", emptyPermissions(), false);
  await exec(ctx()); // warm
  t0 = performance.now();
  for (let i = 0; i < runs; i++) await exec(ctx());
  const worker = (performance.now() - t0) / runs;
  // A burst: the runs of one instant travel together.
  t0 = performance.now();
  await Promise.all(Array.from({ length: runs }, () => exec(ctx())));
  const burst = (performance.now() - t0) / runs;
  sandbox.close();

  const local = (await import(path)).default.tick.run as (c: RunContext) => unknown;
  const call = async (c: RunContext) => {
    await local(c);
  };
  t0 = performance.now();
  for (let i = 0; i < runs; i++) await call(ctx());
  const inProcess = (performance.now() - t0) / runs;
  console.log(
    `per run: worker ${(worker * 1000).toFixed(1)} µs, in-process ${
      (inProcess * 1000).toFixed(1)
    } µs, ` +
      `overhead ${((worker - inProcess) * 1000).toFixed(1)} µs (${runs} runs one by one); ` +
      `in a burst of ${runs}: ${(burst * 1000).toFixed(1)} µs per run`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
