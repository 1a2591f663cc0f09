// Measures one group commit of 1,000 events and a raw write+fdatasync on this disk.
import { FileStore } from "../../src/store/mod.ts";
const dir = await Deno.makeTempDir();
const store = new FileStore({ dataDir: dir });
await store.open();
for (let round = 0; round < 5; round++) {
  const t0 = performance.now();
  let p!: Promise<void>;
  for (let i = 0; i < 1000; i++) {
    p = store.append({
      type: "RUN_STARTED",
      time: new Date().toISOString(),
      job: `t-${i}`,
      runId: "01M85WJQ0ZK29DPVP7SESCB85Q",
      attempt: 1,
      scheduledAt: new Date().toISOString(),
      idempotencyKey: `t-${i}:x`,
      trigger: "schedule",
      jitterMs: 0,
    });
  }
  const t1 = performance.now();
  await p;
  console.log(
    `append 1000: ${(t1 - t0).toFixed(2)} ms, durable after ${
      (performance.now() - t0).toFixed(2)
    } ms`,
  );
}
const f = await Deno.open(`${dir}/raw`, { create: true, write: true, append: true });
const buf = new Uint8Array(200_000);
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  await f.write(buf);
  await f.syncData();
  console.log(`raw write 200KB + fdatasync: ${(performance.now() - t0).toFixed(2)} ms`);
}
await store.close();
