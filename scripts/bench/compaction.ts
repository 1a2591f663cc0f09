/**
 * Does a compaction cost the runs their timing? The library (`Engine` over a `FileStore` whose
 * compaction threshold is a few MiB instead of 64, so that a 70 s round compacts ~8 times) with
 * the load case's job mix: 10,000 jobs, half `every = "10s"` in groups of 125 due 1 ms apart,
 * half `*\/15 * * * * *`. Lateness of the scheduled first attempts (`RUN_STARTED` time − due time)
 * due from 12 s after the start, from the engine's committed events. The store asks for a
 * compaction when a flush takes the log past the threshold, which is most often while a crowd's
 * records are written: the case where a synchronous serialisation of the state delays the groups
 * still falling due.
 *
 * Library only: `kron run` has no setting for the threshold (64 MiB); its path is covered by
 * `interval_groups.ts` with rounds of 150 s, which compact once.
 *
 * Usage: `deno run -A --v8-flags=--max-semi-space-size=8 scripts/bench/compaction.ts [seconds=70]
 * [thresholdMiB=4]`. Prints `compaction: n=… p50_ms=… p99_ms=… p999_ms=… max_ms=… compactions=…`.
 *
 * @module
 */
import { Engine } from "../../src/engine/mod.ts";
import { FileStore, type KronEvent } from "../../src/store/mod.ts";
import { loadMix } from "./_load_mix.ts";
import { percentile } from "./_util.ts";

const seconds = Number(Deno.args[0] ?? 70);
const thresholdMiB = Number(Deno.args[1] ?? 4);
const dataDir = await Deno.makeTempDir({ prefix: "kron-bench-compaction-" });
let compactions = 0;
const store: FileStore = new FileStore({
  dataDir,
  compactBytes: thresholdMiB * 1024 * 1024,
  // As Kron does: through the engine, once it runs (the definitions pass the threshold before).
  onCompactNeeded: () => {
    if (!engine.running) return;
    compactions++;
    engine.compact().catch((e) => console.error(`compaction failed: ${e.message}`));
  },
});
const engine: Engine = new Engine({ store });
const base = Math.ceil(Date.now() / 10_000) * 10_000 + 5_000;
for (const [name, options] of loadMix(base, 125, 1)) {
  engine.define(name, options as never, () => Promise.resolve());
}
const late: number[] = [];
const from = Date.now() + 12_000;
engine.onEvent((e: KronEvent) => {
  if (e.type !== "RUN_STARTED" || e.attempt !== 1 || e.trigger !== "schedule") return;
  const due = Date.parse(e.scheduledAt);
  if (due >= from) late.push(Date.parse(e.time) - due);
});
await engine.start();
await new Promise((r) => setTimeout(r, seconds * 1000));
await engine.shutdown({ timeout: "10s" });
await Deno.remove(dataDir, { recursive: true });
late.sort((a, b) => a - b);
const q = (p: number) => percentile(late, p);
console.log(
  `compaction: n=${late.length} p50_ms=${q(0.5)} p99_ms=${q(0.99)} p999_ms=${q(0.999)} ` +
    `max_ms=${late.at(-1)} compactions=${compactions}`,
);
