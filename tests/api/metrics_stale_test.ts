// GET /metrics while a large render goes on: the last body (bounded in age), never a partial one.
import { assert, assertEquals } from "./_assert.ts";
import { until } from "./_helpers.ts";
import { parseExposition, valueOf } from "./_prom.ts";
import { Kron } from "../../src/kron/mod.ts";
import { KronMetrics, LARGE_BLOCKS_JOBS, LARGE_RENDER } from "../../src/api/metrics.ts";
import { RENDER_BLOCK } from "../../src/api/_metrics_render.ts";

const JOBS = LARGE_RENDER + 200;
const names = Array.from({ length: JOBS }, (_, i) => `j${String(i).padStart(5, "0")}`);

async function started(): Promise<Kron> {
  const kron = new Kron({ store: "memory", admin: false });
  for (const name of names) kron.schedule(name, { every: "1h" }, () => {});
  await kron.start();
  return kron;
}

/** Triggers every job (or `only`) and waits until each has `runs` successes. */
async function runAll(kron: Kron, runs: number, only = names): Promise<void> {
  for (const name of only) await kron.trigger(name);
  await until(() =>
    only.every((n) => kron.status(n).totalRuns === runs && !kron.status(n).running)
  );
}

const succeeded = (body: Uint8Array, job: string) =>
  valueOf(
    parseExposition(new TextDecoder().decode(body)),
    "kron_runs_total",
    { kron_job: job, outcome: "succeeded" },
  );

Deno.test("GET /metrics: a large render answers a scrape late with the last body; small ones, fresh", async () => {
  const kron = await started();
  try {
    const m = new KronMetrics(kron, { dataDir: null, version: "t" });
    const first = await m.body();
    assertEquals(succeeded(first, "j00000"), 0);
    // Every job changed: the scrape does not wait for the render, it gets the last body at once
    // (the render starts right after and answers the next scrape).
    await runAll(kron, 1);
    const stale = await m.body();
    assertEquals(m.staleAnswers, 1);
    assert(stale === first, "the last body itself");
    // The render went on; the text API always waits for it: every job's new count.
    const fresh = new TextEncoder().encode(await m.render());
    assertEquals(succeeded(fresh, "j00000"), 1);
    assertEquals(succeeded(fresh, names[JOBS - 1]), 1);
    // A few changed jobs: always waited for.
    await runAll(kron, 2, names.slice(0, 3));
    const small = await m.body();
    assertEquals(m.staleAnswers, 1);
    assertEquals(succeeded(small, "j00002"), 2);
    assertEquals(succeeded(small, "j00003"), 1);
  } finally {
    await kron.shutdown();
  }
});

Deno.test("GET /metrics: a last body older than the bound is not served: the scrape waits", async () => {
  const kron = await started();
  try {
    const m = new KronMetrics(kron, { dataDir: null, version: "t", staleMaxMs: 0 });
    await m.body();
    await new Promise((r) => setTimeout(r, 5));
    await runAll(kron, 1);
    const body = await m.body();
    assertEquals(m.staleAnswers, 0);
    assertEquals(succeeded(body, "j00000"), 1);
    assertEquals(succeeded(body, names[JOBS - 1]), 1);
  } finally {
    await kron.shutdown();
  }
});

Deno.test("GET /metrics: a few changed jobs scattered over enough render blocks count as large", async () => {
  // One changed job in each of the blocks holding LARGE_BLOCKS_JOBS jobs: far fewer changed jobs
  // than LARGE_RENDER, but the worker would re-join and re-compress all those blocks.
  const blocks = Math.ceil(LARGE_BLOCKS_JOBS / RENDER_BLOCK);
  const all = Array.from(
    { length: (blocks + 2) * RENDER_BLOCK },
    (_, i) => `b${String(i).padStart(5, "0")}`,
  );
  const kron = new Kron({ store: "memory", admin: false });
  for (const name of all) kron.schedule(name, { every: "1h" }, () => {});
  await kron.start();
  try {
    const m = new KronMetrics(kron, { dataDir: null, version: "t" });
    const first = await m.body();
    const oneInEach = (from: number, n: number) =>
      Array.from({ length: n }, (_, k) => all[(from + k) * RENDER_BLOCK + 7]);
    await runAll(kron, 1, oneInEach(0, blocks));
    assert((await m.body()) === first, "answered with the last body");
    assertEquals(m.staleAnswers, 1);
    await m.render(); // the render it did not wait for
    // Changed jobs in two blocks only: waited for, fresh.
    await runAll(kron, 1, oneInEach(blocks, 2));
    const small = await m.body();
    assertEquals(m.staleAnswers, 1);
    assertEquals(succeeded(small, all[blocks * RENDER_BLOCK + 7]), 1);
    assertEquals(succeeded(small, all[7]), 1);
  } finally {
    await kron.shutdown();
  }
});
