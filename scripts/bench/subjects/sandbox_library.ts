/**
 * Library mode beside the product path of scripts/bench/sandbox.ts: imports the same generated
 * `jobs.ts` in this process and defines its jobs on `new Kron({ dataDir })` with the same
 * functions, kron's own text log configured and the admin socket served as `kron run` does,
 * runs `seconds`, then stops.
 * Prints `armed` on stderr once started.
 *
 * Run: `deno run <kron task flags> scripts/bench/subjects/sandbox_library.ts <jobs.ts> <dataDir>
 * <seconds> [<concurrency>]`; with a concurrency it triggers runs for `seconds` instead of
 * waiting, and prints `{"runsPerS","refused"}`.
 *
 * @example
 * ```sh
 * deno run -A scripts/bench/subjects/sandbox_library.ts /tmp/b/jobs.ts /tmp/b/.kron-lib 10
 * ```
 * @module
 */
import { Kron } from "../../../mod.ts";
import { configureLogging } from "../../../src/cli/logging.ts";
import type { JobFunction, JobOptions } from "../../../mod.ts";

const [path, dataDir, seconds, triggers] = Deno.args;
// Logged as `kron run` logs (text, info, stderr): the comparison is of the sandbox, not the log.
await configureLogging("text");
const mod = await import(new URL(`file://${path}`).href);
const kron = new Kron({ dataDir });
for (
  const [name, spec] of Object.entries(
    mod.default as Record<string, JobOptions & { run: JobFunction }>,
  )
) {
  const { run, ...options } = spec;
  kron.schedule(name, options, run);
}
// An embedded app serves its admin socket (events hub, metrics) by default, as `kron run` does.
await kron.start();
console.error("armed");
if (triggers) {
  // `concurrency` triggers in flight over the jobs in turn for `seconds`, each acknowledged once
  // its RUN_STARTED is durable: runs/s through kron.trigger(), printed as JSON on stdout.
  const names = Object.keys(mod.default);
  const concurrency = Number(triggers);
  const until = performance.now() + Number(seconds) * 1000;
  let next = 0;
  let done = 0;
  let refused = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      try {
        await kron.trigger(names[next++ % names.length]);
        done++;
      } catch {
        refused++;
      }
    }
  }));
  const s = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ runsPerS: done / s, refused }));
} else await new Promise((res) => setTimeout(res, Number(seconds) * 1000));
await kron.shutdown({ timeout: 0 });
Deno.exit(0);
