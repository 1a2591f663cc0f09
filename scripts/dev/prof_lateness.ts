// Real-time lateness probe: 1,000 jobs due each second, durable FileStore; prints wake offsets
// and lateness (count, p50, p99, max, min). Run with --cpu-prof to profile.
import { Engine } from "../../src/engine/engine.ts";
import { FileStore } from "../../src/store/mod.ts";
const dir = await Deno.makeTempDir();
const wakes: number[] = [];
const clock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) =>
    setTimeout(() => {
      wakes.push(Date.now());
      fn();
    }, ms) as unknown as number,
  clearTimeout: (h: number) => clearTimeout(h),
};
const engine = new Engine({ store: new FileStore({ dataDir: dir }), clock });
const late: number[] = [];
const startAt = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000);
for (let i = 0; i < 1000; i++) {
  engine.define(`t-${i}`, { every: "1s", startAt }, (ctx) => {
    late.push(Date.now() - ctx.scheduledAt.getTime());
  });
}
await engine.start();
await new Promise((r) => setTimeout(r, startAt.getTime() - Date.now() + 6200));
await engine.shutdown();
late.sort((a, b) => a - b);
console.log(wakes.map((w) => w % 1000).join(" "));
console.log(late.length, late[500 * 6], late[Math.floor(late.length * 0.99)], late.at(-1), late[0]);
