// The scheduler's side of the front's copy (src/api/_front_feed.ts): a turn that folds more than
// FEED_SLICE events (a crowded instant) is sent in slices, and the copy built from them answers
// exactly as the admin app, every job's inputs arriving with its last event.
import { assertEquals } from "./_assert.ts";
import { Kron } from "../../src/kron/mod.ts";
import { FEED_SLICE, ViewFeed } from "../../src/api/_front_feed.ts";
import { JobViews } from "../../src/api/_front_views.ts";
import { type Feed, newControl, type Reset } from "../../src/api/_front_wire.ts";
import { listJobs } from "../../src/api/routes/jobs.ts";

Deno.test("a crowded instant's feed goes in slices; the copy built from them stays exact", async () => {
  const kron = new Kron({ store: "memory", admin: false });
  const jobs = 1_500;
  // One instant for all (its end changes each job's next run: inputs the copy must get).
  const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toISOString();
  for (let i = 0; i < jobs; i++) {
    kron.schedule(`j${String(i).padStart(4, "0")}`, { at }, () => {});
  }
  await kron.start();
  const ctrl = newControl();
  const views = new JobViews(ctrl);
  const feeds: Feed[] = [];
  // What postMessage does: a structured clone (shared memory stays shared).
  const feed = new ViewFeed(kron, ctrl, (m: Reset | Feed) => {
    const copy = structuredClone(m);
    if (copy.t === "reset") views.reset(copy);
    else {
      feeds.push(copy);
      views.feed(copy);
    }
  });
  try {
    const fed = () => feeds.reduce((n, f) => n + f.count, 0);
    for (let i = 0; i < 500 && fed() < 2 * jobs; i++) await new Promise((r) => setTimeout(r, 10));
    const sizes = feeds.map((f) => f.count);
    if (!sizes.some((n) => n === FEED_SLICE)) throw new Error(`never sliced: ${sizes}`);
    if (sizes.some((n) => n > FEED_SLICE)) throw new Error(`a feed over the slice: ${sizes}`);
    const res = await views.answer(new URL("http://kron/v1/jobs?limit=1000"));
    if (res === null) throw new Error("the copy did not answer");
    assertEquals(await res.text(), JSON.stringify(listJobs({ kron }, null, 1000)));
  } finally {
    feed.close();
    if (kron.engine.running) await kron.shutdown();
  }
});
