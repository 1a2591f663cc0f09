// GET /v1/jobs from summaries kept as text: the same bytes as building every summary, and each
// change of a job (run, pause, resume, definitions) shows in the next page at once.
import { assertEquals } from "./_assert.ts";
import { startRig, until } from "./_helpers.ts";
import { listJobs, listJobsJson } from "../../src/api/routes/jobs.ts";

Deno.test("GET /v1/jobs: kept summaries answer the same bytes and follow every change", async () => {
  const jobs: Record<string, { options: { every: string; grace?: string } }> = {};
  for (let i = 0; i < 30; i++) {
    jobs[`j${String(i).padStart(2, "0")}`] = { options: { every: "1h" } };
  }
  jobs.graced = { options: { every: "1h", grace: "1m" } };
  await using rig = await startRig(jobs);
  const fresh = () => JSON.stringify(listJobs({ kron: rig.kron }, null, 1000));
  const page = async () => await (await rig.sock("/v1/jobs?limit=1000")).text();
  const listed = async (name: string) =>
    JSON.parse(await page()).jobs.find((j: { name: string }) => j.name === name);
  assertEquals(await page(), fresh());
  assertEquals(await page(), fresh()); // kept now: still the same bytes
  // A run: its summary changes with its events.
  await rig.kron.trigger("j03");
  await until(() => rig.kron.status("j03").lastRun?.outcome === "succeeded");
  assertEquals((await listed("j03")).lastRun.outcome, "succeeded");
  assertEquals(await page(), fresh());
  // Pause and resume: shown by the very next page.
  rig.kron.pause("j05");
  // No wait for the event to be durable: the state changed, so does the list.
  assertEquals((await listed("j05")).state, "paused");
  assertEquals((await listed("j05")).nextRunAt, null);
  rig.kron.resume("j05");
  assertEquals((await listed("j05")).state, "idle");
  assertEquals(await page(), fresh());
  // Cursor pages are cut from the same kept summaries.
  const second = listJobsJson(rig.kron, "j09", 5);
  assertEquals(second, JSON.stringify(listJobs({ kron: rig.kron }, "j09", 5)));
  assertEquals(JSON.parse(second).nextCursor, "j14");
  // A new definition (the definition epoch moves): listed at once.
  rig.kron.schedule("zz-new", { every: "1h" }, () => {});
  await until(async () =>
    (JSON.parse(await page()).jobs as { name: string }[]).some((j) => j.name === "zz-new")
  );
  assertEquals(await page(), fresh());
});
