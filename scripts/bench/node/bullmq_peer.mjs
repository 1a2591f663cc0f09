// BullMQ peer of scenario 3, run under Node: `node bullmq_peer.mjs <dir with node_modules>
// '<json params>'`. Deno cannot resolve BullMQ's dependency tree from this registry (an
// optional msgpackr-extract platform build is missing; npm skips it, Deno refuses), so the
// harness installs BullMQ with npm into a cache dir and runs it here. Prints one JSON line.
import { createRequire } from "node:module";

const [dir, json] = process.argv.slice(2);
const { Queue, Worker } = createRequire(`${dir}/package.json`)("bullmq");
const p = JSON.parse(json);
const u = new URL(p.url);
const connection = { host: u.hostname, port: Number(u.port) };
const queue = new Queue("bench", { connection });
await queue.waitUntilReady();
const t0 = performance.now();
for (let i = 0; i < p.runs; i += 1000) {
  const n = Math.min(1000, p.runs - i);
  await queue.addBulk(Array.from({ length: n }, (_, k) => ({ name: "noop", data: { i: i + k } })));
}
const enqueueS = (performance.now() - t0) / 1000;
let done = 0;
let resolve;
const all = new Promise((r) => resolve = r);
const t1 = performance.now();
const worker = new Worker("bench", async () => {}, { connection, concurrency: p.concurrency });
// "completed" is emitted once moveToCompleted returned, i.e. Redis has recorded the end.
worker.on("completed", () => {
  if (++done === p.runs) resolve();
});
await all;
const s = (performance.now() - t1) / 1000;
await worker.close();
await queue.close();
console.log(JSON.stringify({
  runs: p.runs,
  runsPerS: Math.round(p.runs / s),
  enqueuePerS: Math.round(p.runs / enqueueS),
  settings:
    `Worker concurrency ${p.concurrency}, addBulk ×1000, completed jobs kept, Node ${process.version}`,
}));
process.exit(0);
