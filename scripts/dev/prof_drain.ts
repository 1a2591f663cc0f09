// Deterministic drain profile: 1,000 jobs due together, 50 instants, on a fake clock.
import { Engine } from "../../src/engine/engine.ts";
import { FakeClock } from "../../src/engine/clock.ts";
import { FileStore } from "../../src/store/mod.ts";
const clock = new FakeClock(Date.parse("2026-01-01T00:00:00Z"));
const engine = new Engine({ store: new FileStore({ dataDir: await Deno.makeTempDir() }), clock });
let n = 0;
for (let i = 0; i < 1000; i++) {
  engine.define(`t-${i}`, { every: "1s" }, () => {
    n++;
  });
}
await engine.start();
const t0 = performance.now();
await clock.advance(50_000);
console.log(n, "runs", ((performance.now() - t0) * 1000 / n).toFixed(2), "µs/run");
