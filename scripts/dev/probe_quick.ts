// Real-time probe: N jobs (default 1,000) due each second on a durable FileStore for 8 s; prints,
// per second, the lateness of the first, the median and the last callback (ms). Add
// --v8-flags=--trace-gc to see which seconds a GC fell into.
import { Engine } from "../../src/engine/engine.ts";
import { FileStore } from "../../src/store/mod.ts";
const dir = await Deno.makeTempDir();
const engine = new Engine({ store: new FileStore({ dataDir: dir }) });
const bySec = new Map<number, number[]>();
const startAt = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000);
const N = Number(Deno.args[0] ?? 1000);
for (let i = 0; i < N; i++) {
  engine.define(`t-${i}`, { every: "1s", startAt }, (ctx) => {
    const d = ctx.scheduledAt.getTime();
    const l = performance.timeOrigin + performance.now() - d;
    (bySec.get(d) ?? bySec.set(d, []).get(d)!).push(l);
  });
}
await engine.start();
await new Promise((r) =>
  setTimeout(r, startAt.getTime() - Date.now() + Number(Deno.args[1] ?? 8) * 1000 + 200)
);
await engine.shutdown();
for (const [d, l] of bySec) {
  console.log(
    d % 100000,
    "n",
    l.length,
    "first",
    l[0].toFixed(2),
    "mid",
    l[l.length >> 1].toFixed(2),
    "last",
    l.at(-1)!.toFixed(2),
  );
}
