/**
 * One measurement in a fresh process: `deno run -A child.ts <task> '<json params>'` prints the
 * result as JSON on its last stdout line. The harness (main.ts) runs every measurement this
 * way so that no subject inherits another's heap, timers or JIT state.
 *
 * @example
 * ```ts
 * // deno run -A scripts/bench/child.ts lateness.kron '{"jobs":1000,"seconds":5}'
 * ```
 * @module
 */

type Task = (params: never) => Promise<unknown>;

const TASKS: Record<string, () => Promise<Task>> = {
  "lateness.kron": async () => (await import("./subjects/lateness.ts")).kronLateness,
  "lateness.floor": async () => (await import("./subjects/lateness.ts")).floorLateness,
  "lateness.floor-ahead": async () => (await import("./subjects/lateness.ts")).aheadFloorLateness,
  "lateness.croner": async () => (await import("./subjects/lateness.ts")).cronerLateness,
  "lateness.node-cron": async () => (await import("./subjects/lateness.ts")).nodeCronLateness,
  "lateness.deno-cron": async () => (await import("./subjects/lateness.ts")).denoCronLateness,
  "scale.kron": async () => (await import("./subjects/scale.ts")).kronScale,
  "scale.croner": async () => (await import("./subjects/scale.ts")).cronerScale,
  "scale.node-cron": async () => (await import("./subjects/scale.ts")).nodeCronScale,
  "throughput.kron": async () => (await import("./subjects/throughput.ts")).kronThroughput,
  "throughput.floor": async () => (await import("./subjects/throughput.ts")).fsyncFloor,
  "throughput.pg-boss": async () => (await import("./subjects/durable_peers.ts")).pgBossThroughput,
  "throughput.graphile-worker": async () =>
    (await import("./subjects/durable_peers.ts")).graphileThroughput,
  "recovery.write": async () => (await import("./subjects/recovery.ts")).writeLog,
  "recovery.open": async () => (await import("./subjects/recovery.ts")).openLog,
  "floor.timers": async () => (await import("./subjects/floor.ts")).timerFloor,
  "noop": () => Promise.resolve(() => Promise.resolve({ ok: true })),
};

if (import.meta.main) {
  const [name, json] = Deno.args;
  const load = TASKS[name];
  if (!load) {
    console.error(`unknown task ${name}; known: ${Object.keys(TASKS).join(", ")}`);
    Deno.exit(2);
  }
  const task = await load();
  const result = await task(JSON.parse(json ?? "{}") as never);
  console.log(JSON.stringify(result));
  // Peers may leave timers or connections behind: the measurement is over.
  Deno.exit(0);
}
