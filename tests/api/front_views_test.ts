// The front's pages of summaries (src/api/_front_views.ts) are built in slices: other tasks
// run while a 1,000-job page is built, and a request that comes after a change made meanwhile
// gets the change, never the page that was being built before it.
import { assert, assertEquals } from "./_assert.ts";
import { Kron } from "../../src/kron/mod.ts";
import { ViewFeed } from "../../src/api/_front_feed.ts";
import { JobViews } from "../../src/api/_front_views.ts";
import { type Feed, newControl, type Reset } from "../../src/api/_front_wire.ts";
import { listJobs } from "../../src/api/routes/jobs.ts";

const PAGE = new URL("http://kron/v1/jobs?limit=1000");

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  assert(ok(), "timed out");
}

/**
 * A copy of `kron` with turns of one piece (a pause every few jobs or events: the slicing,
 * without depending on this machine's speed), its reset applied; the feeds after it are held
 * until `deliver()`.
 */
async function heldCopy(kron: Kron) {
  const ctrl = newControl();
  const views = new JobViews(ctrl, { turnMs: 0 });
  const held: (Reset | Feed)[] = [];
  const feed = new ViewFeed(kron, ctrl, (m) => held.push(structuredClone(m)));
  await until(() => held.some((m) => m.t === "reset"));
  views.reset(held.shift() as Reset);
  const deliver = () => {
    for (const m of held.splice(0)) m.t === "reset" ? views.reset(m) : views.feed(m);
  };
  return { views, held, feed, deliver };
}

Deno.test("a page is built in slices; a request after a change meanwhile reads the change", async () => {
  const kron = new Kron({ store: "memory", admin: false });
  for (let i = 0; i < 1_000; i++) {
    kron.schedule(`j${String(i).padStart(4, "0")}`, { every: "1h" }, () => {});
  }
  await kron.start();
  const { views, held, feed, deliver } = await heldCopy(kron);
  try {
    let ticked = false;
    let tickedBeforeA: boolean | null = null;
    const a = views.answer(PAGE).then((res) => {
      tickedBeforeA = ticked;
      return res;
    });
    setTimeout(() => ticked = true, 0);
    // Folded on the scheduler's side now; the copy learns it with the next feed, so the page
    // under way (whose first job was read already, as its request came before) shows it unpaused.
    kron.pause("j0000");
    await until(() => held.length > 0);
    deliver();
    const b = await views.answer(PAGE);

    const resA = await a;
    assert(resA !== null && b !== null, "the copy did not answer");
    assertEquals(tickedBeforeA, true, "no other task ran while the page was built");
    const pageA = JSON.parse(await resA.text());
    const textB = await b.text();
    assertEquals(pageA.jobs.length, 1_000);
    assert(pageA.jobs[0].state !== "paused", `A read the pause: ${pageA.jobs[0].state}`);
    assertEquals(JSON.parse(textB).jobs[0].state, "paused");
    assertEquals(textB, JSON.stringify(listJobs({ kron }, null, 1000)));
  } finally {
    feed.close();
    if (kron.engine.running) await kron.shutdown();
  }
});

Deno.test("feeds are applied in slices: the thread is free between them, reads wait for theirs", async () => {
  const kron = new Kron({ store: "memory", admin: false });
  const jobs = 1_500;
  const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toISOString();
  for (let i = 0; i < jobs; i++) kron.schedule(`j${String(i).padStart(4, "0")}`, { at }, () => {});
  await kron.start();
  const { views, held, feed } = await heldCopy(kron);
  try {
    // Every job's instant: its events wait here until all have run.
    const fed = () => held.reduce((n, m) => n + (m.t === "feed" ? m.count : 0), 0);
    await until(() => fed() >= 2 * jobs && !kron.list().some((j) => j.running > 0));
    await new Promise((r) => setTimeout(r, 50));
    const last = `j${String(jobs - 1).padStart(4, "0")}`;
    let ticked = false;
    for (const m of held.splice(0)) views.feed(m as Feed);
    setTimeout(() => ticked = true, 0);
    const res = await views.answer(new URL(`http://kron/v1/jobs/${last}`));
    assert(res !== null, "the copy did not answer");
    assertEquals(ticked, true, "the feeds were applied in one go");
    assertEquals(JSON.parse(await res.text()).lastRun?.outcome, "succeeded");
    const list = await views.answer(new URL("http://kron/v1/jobs?limit=1000&cursor=j0499"));
    assertEquals(await list!.text(), JSON.stringify(listJobs({ kron }, "j0499", 1000)));
  } finally {
    feed.close();
    if (kron.engine.running) await kron.shutdown();
  }
});
