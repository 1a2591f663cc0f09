// Burst profile: 1,000 jobs due together on a fake clock, durable FileStore, 60 instants,
// each recorded ahead (and durable) before it is due, as on a real clock. Prints
// CPU per run and, per burst, the time from the wake to the median and to the last callback
// (medians over the 60 bursts): the engine's share of lateness without timer noise.
// Run with --cpu-prof --cpu-prof-dir=/tmp/prof to profile.
import process from "node:process";
import { Engine } from "../../src/engine/engine.ts";
import { FakeClock } from "../../src/engine/clock.ts";
import { FileStore } from "../../src/store/mod.ts";
// The time of each wake-up: the burst is measured from there (advance() settles first).
let t = 0;
class WakeClock extends FakeClock {
  override setTimeout(fn: () => void, ms: number): number {
    return super.setTimeout(() => {
      t = performance.now();
      fn();
    }, ms);
  }
}
const clock = new WakeClock(Date.parse("2026-01-01T00:00:00Z"));
const dir = await Deno.makeTempDir();
const engine = new Engine({ store: new FileStore({ dataDir: dir }), clock });
let n = 0;
const lat: number[] = [];
for (let i = 0; i < 1000; i++) {
  engine.define(`t-${i}`, { every: "1s", overlap: "allow" }, () => {
    n++;
    lat.push(performance.now() - t);
  });
}
await engine.start();
const p50s: number[] = [], maxs: number[] = [];
const c0 = process.cpuUsage();
for (let s = 0; s < 60; s++) {
  await new Promise((r) => setTimeout(r, 5));
  await clock.advance(950); // records the burst ahead (RUN_DUE)
  await new Promise((r) => setTimeout(r, 10)); // its fsync
  lat.length = 0;
  await clock.advance(50);
  while (n < (s + 1) * 1000) await new Promise((r) => setTimeout(r, 0));
  lat.sort((a, b) => a - b);
  p50s.push(lat[500]);
  maxs.push(lat[999]);
}
const cpu = process.cpuUsage(c0);
await engine.shutdown();
await Deno.remove(dir, { recursive: true });
const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1].toFixed(2);
console.log(
  `cpu ${((cpu.user + cpu.system) / n).toFixed(2)} µs/run; burst p50 ${med(p50s)} ms, last ${
    med(maxs)
  } ms`,
);
