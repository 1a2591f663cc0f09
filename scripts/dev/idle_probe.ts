// Idle CPU after registering N jobs (default 100,000) on a durable FileStore, per second for
// 12 s, and what the store did meanwhile (compactions, fsyncs): is idle CPU a one-off or steady?
import process from "node:process";
import { Engine } from "../../src/engine/engine.ts";
import { FileStore } from "../../src/store/mod.ts";
const n = Number(Deno.args[0] ?? 100_000);
if (Deno.args[1] === "pre") {
  // An engine started and shut down before, as scripts/bench/engine.ts does for smaller sizes.
  const d = await Deno.makeTempDir();
  const e = new Engine({ store: new FileStore({ dataDir: d }) });
  for (let i = 0; i < 10_000; i++) e.define(`pre-${i}`, { every: "1h" }, () => {});
  await e.start();
  await e.shutdown();
}
const dir = await Deno.makeTempDir();
const store = new FileStore({ dataDir: dir });
const engine = new Engine({ store });
for (let i = 0; i < n; i++) {
  engine.define(
    `job-${i}`,
    i % 2 ? { every: `${1 + (i % 5)}h` } : { cron: `${i % 60} ${i % 24} * * *` },
    () => {},
  );
}
await engine.start();
// As the benchmarks do before measuring memory (with --v8-flags=--expose-gc).
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) { for (let i = 0; i < 3; i++) gc(); }
const events: string[] = [];
engine.onEvent((e) => events.push(e.type));
for (let s = 0; s < 12; s++) {
  const c0 = process.cpuUsage();
  const syncs = store.stats.syncs;
  await new Promise((r) => setTimeout(r, 1000));
  const c = process.cpuUsage(c0);
  console.log(
    `s${s} cpu ${((c.user + c.system) / 10000).toFixed(2)}% fsyncs ${store.stats.syncs - syncs}`,
    `events ${events.splice(0).join(",").slice(0, 80)}`,
  );
}
await engine.shutdown();
await Deno.remove(dir, { recursive: true });
