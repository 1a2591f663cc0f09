// The dashboard's server side without a browser: the HTML 404 for browsers (JSON for API
// clients), the filter and summary fragments, the run page and its log tail from a byte, and
// the pure pieces (filter rule, attention-first paging, UTF-8 cut of log chunks).
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { startRig } from "./_helpers.ts";
import { matches, pageJobs, parseFilter } from "../../src/api/dashboard/list.ts";
import { readLogChunk, wholeUtf8 } from "../../src/api/routes/ui_runs.ts";
import type { JobStatus } from "../../src/engine/types.ts";

const BROWSER = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

Deno.test("a browser gets an HTML 404 page for unknown paths, jobs and runs; API clients JSON", async () => {
  await using rig = await startRig({ a: { options: { every: "1h" } } });
  for (const path of ["/jobs/nosuch", "/nosuch/page", "/runs/01J5Z3XK7Q8V9W0Y1Z2A3B4C5D"]) {
    const res = await rig.sock(path, { headers: BROWSER });
    assertEquals(res.status, 404, path);
    assertMatch(res.headers.get("content-type")!, /^text\/html/);
    assertMatch(res.headers.get("content-security-policy")!, /default-src 'none'/);
    const page = await res.text();
    assertMatch(page, /<h1>Not found <small>\(404\)<\/small><\/h1>/);
    assertMatch(page, /href="\/">← all jobs/);
  }
  // The message is escaped like any text.
  const bad = await rig.sock("/jobs/%3Cscript%3E", { headers: BROWSER });
  assertEquals(bad.status, 400);
  const text = await bad.text();
  assert(!text.includes("<script>"), "no unescaped markup from the URL");
  assertMatch(text, /&lt;script&gt;/);
  // API clients and the fragments keep their JSON errors.
  for (
    const [path, accept] of [
      ["/jobs/nosuch", "application/json"],
      ["/v1/jobs/nosuch", BROWSER.accept],
      ["/ui/jobs/nosuch/row", BROWSER.accept],
      ["/nosuch", "*/*"],
    ]
  ) {
    const res = await rig.sock(path, { headers: { accept } });
    assertEquals(res.status, 404, path);
    assertMatch(res.headers.get("content-type")!, /^application\/json/, path);
    assertEquals((await res.json()).error.code.length > 0, true);
  }
});

Deno.test("the list: filter from the query, summary fragment counts every job", async () => {
  await using rig = await startRig({
    "backup-db": { options: { every: "1h" } },
    "backup-files": { options: { every: "1h" } },
    "report": { options: { every: "1h" } },
  });
  rig.kron.pause("backup-files");
  let page = await (await rig.sock("/?q=BACKUP&state=paused")).text();
  assertMatch(page, /id="job-backup-files"/);
  assert(!page.includes('id="job-backup-db"') && !page.includes('id="job-report"'));
  assertMatch(page, /<input id="q" name="q" type="search" value="backup"/);
  assertMatch(page, /<option value="paused" selected>/);
  page = await (await rig.sock("/ui/list?q=nothing-like-this")).text();
  assertMatch(page, /No job matches the filter/);
  const summary = (await (await rig.sock("/ui/summary")).text()).replace(/\s+/g, " ");
  assertMatch(summary, /3 jobs<\/a> · <a class="sum-paused" href="\/\?state=paused">1 paused<\/a>/);
});

Deno.test("pure: the filter rule, and down/late first on the first page only", () => {
  const f = parseFilter({ q: "  Ba ", state: "nonsense" });
  assertEquals(f, { q: "ba", state: null });
  assert(matches({ name: "xBAy", state: "idle" }, f));
  assert(!matches({ name: "xBAy", state: "idle" }, { q: "ba", state: "late" }));
  const st = (name: string, state: string) => ({ name, state }) as unknown as JobStatus;
  const all = [st("a", "idle"), st("b", "late"), st("c", "idle"), st("d", "down"), st("e", "idle")];
  const first = pageJobs(all, { q: "", state: null }, null, 2);
  assertEquals(first.jobs.map((j) => j.name), ["d", "b", "a", "c"]);
  assertEquals(first.next, "c");
  const second = pageJobs(all, { q: "", state: null }, "c", 2);
  assertEquals(second.jobs.map((j) => j.name), ["e"]);
  assertEquals(second.next, null);
});

Deno.test("log chunks end on whole UTF-8 characters", async () => {
  const e = new TextEncoder().encode("aé€😀");
  assertEquals(wholeUtf8(e), e.length);
  for (let cut = 0; cut <= e.length; cut++) {
    const n = wholeUtf8(e.subarray(0, cut));
    assert(n <= cut && new TextDecoder("utf-8", { fatal: true }).decode(e.subarray(0, n)) !== null);
  }
  assertEquals(wholeUtf8(e.subarray(0, 2)), 1); // "a" + half of "é"
  const f = await Deno.makeTempFile();
  try {
    await Deno.writeFile(f, e);
    const c = await readLogChunk(f, 0, 4); // "aé" + the first byte of "€"
    assertEquals([c.text, c.next], ["aé", 3]);
    const d = await readLogChunk(f, c.next, 100);
    assertEquals([d.text, d.next], ["€😀", e.length]);
    assertEquals((await readLogChunk(f, 999, 100)).text, "");
  } finally {
    await Deno.remove(f);
  }
});

Deno.test("the run page: header, back link, escaped output; the tail from a byte offset", async () => {
  await using rig = await startRig({ a: { options: { every: "1h" } } });
  const runId = await rig.kron.trigger("a");
  const res = await rig.sock(`/runs/${runId}`, { headers: BROWSER });
  assertEquals(res.status, 200);
  const page = await res.text();
  assertMatch(page, new RegExp(`href="/jobs/a#run-${runId}">← a</a>`));
  assertMatch(page, new RegExp(`<code>${runId}</code>`));
  assertMatch(page, /Only command jobs capture output/);
  const tail = await rig.sock(`/ui/runs/${runId}/log?from=0`);
  assertEquals(await tail.text(), "");
  assertEquals(tail.headers.get("x-log-next"), "0");
  assertEquals((await rig.sock(`/ui/runs/${runId}/log?from=-1`)).status, 400);
});

Deno.test("a watched job has no Run now button; its page says how it is told of runs", async () => {
  await using rig = await startRig({ a: { options: { every: "1h" } } });
  rig.kron.watch("backup", { cron: "0 2 * * *", grace: "30m" });
  const row = await (await rig.sock("/ui/jobs/backup/row")).text();
  assert(!row.includes("/trigger"), "no trigger form");
  assertMatch(row, /watched/);
  assertMatch(row, /grace 30m/);
  assertMatch(await (await rig.sock("/ui/jobs/a/row")).text(), /\/ui\/jobs\/a\/trigger/);
  const page = (await (await rig.sock("/jobs/backup")).text()).replace(/\s+/g, " ");
  assertMatch(page, /<code>kron ping backup<\/code>/);
  assertMatch(page, /\(grace 30m\)/);
});
