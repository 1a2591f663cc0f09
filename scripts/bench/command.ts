/**
 * Micro-benchmark of the command executor: spawn-to-exit latency of a trivial command, and
 * throughput of a command writing a lot of output into a capped run log.
 *
 * @example
 * ```sh
 * deno run --allow-all scripts/bench/command.ts
 * ```
 * @module
 */
import { createCommandExecutor } from "../../src/jobs/command.ts";
import type { RunContext } from "../../src/engine/types.ts";

const logDir = await Deno.makeTempDir({ prefix: "kron-bench-command-" });
let n = 0;
const ctx = (): RunContext => ({
  job: "bench",
  runId: `R${++n}`,
  attempt: 1,
  scheduledAt: new Date(),
  idempotencyKey: `bench:${n}`,
  signal: new AbortController().signal,
  log: { info() {}, warn() {}, error() {} },
});

try {
  const runs = 50;
  const trivial = createCommandExecutor({ command: "true" }, { logDir });
  let t0 = performance.now();
  for (let i = 0; i < runs; i++) await trivial(ctx());
  const perRun = (performance.now() - t0) / runs;
  console.log(`spawn+exit of "true": ${perRun.toFixed(2)} ms/run (${runs} runs)`);

  const mb = 200;
  const noisy = createCommandExecutor(
    { command: `head -c ${mb * 1024 * 1024} /dev/zero` },
    { logDir, logCapBytes: 1024 * 1024 },
  );
  t0 = performance.now();
  await noisy(ctx());
  const s = (performance.now() - t0) / 1000;
  console.log(`${mb} MiB through a 1 MiB-capped log: ${(mb / s).toFixed(0)} MiB/s`);
} finally {
  await Deno.remove(logDir, { recursive: true });
}
