// Regression (torture load): with 10,000 jobs firing and 200 API clients, a burst of history
// queries (each decodes and scans whole log segments on the engine's thread) and piled-up
// /metrics renders starved the scheduler: event-loop lag passed 10 s and whole bursts of
// occurrences became misfires. The store now runs at most 4 log queries at a time and
// concurrent /metrics scrapes share one render.
import assert from "node:assert/strict";
import { FileStore } from "../../src/store/file_store.ts";
import { Kron } from "../../src/kron/mod.ts";
import { metricsFor } from "../../src/api/metrics.ts";

Deno.test("a burst of history queries reads at most 4 at a time, and all answer", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kron-burst-" });
  const store = new FileStore({ dataDir, durability: "none", segmentBytes: 64 * 1024 });
  await store.open();
  const time = new Date().toISOString();
  for (let i = 0; i < 2000; i++) {
    const job = `j${i % 50}`;
    const runId = `01JX${String(i).padStart(22, "0")}`;
    store.append({
      type: "RUN_STARTED",
      time,
      job,
      runId,
      attempt: 1,
      scheduledAt: time,
      idempotencyKey: `${job}:${time}`,
      trigger: "schedule",
      jitterMs: 0,
    });
  }
  await store.flush();
  const readFile = Deno.readFile;
  let now = 0, max = 0;
  Deno.readFile = (async (...args: Parameters<typeof readFile>) => {
    max = Math.max(max, ++now);
    try {
      return await readFile(...args);
    } finally {
      now--;
    }
  }) as typeof readFile;
  try {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.history(`j${i}`, { limit: 1000 })),
    );
    assert.ok(answers.every((runs) => runs.length === 40));
  } finally {
    Deno.readFile = readFile;
  }
  assert.ok(max <= 4, `${max} segment reads at once`);
  await store.close();
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("concurrent /metrics scrapes share one render", async () => {
  const kron = new Kron({ store: "memory" });
  const m = metricsFor(kron, { dataDir: null, version: "t" });
  const texts = await Promise.all([m.render(), m.render(), m.render()]);
  assert.equal(m.renders, 1);
  assert.ok(texts.every((t) => t === texts[0] && t.includes("kron_up")));
  await m.render();
  assert.equal(m.renders, 2, "a later scrape renders again");
});
