// The dashboard in real headless Chromium over TCP, at 1280 and 390 px: log in, see the jobs,
// trigger a run and watch it appear without a reload, the summary line following state changes
// made elsewhere, search and state filter kept in the URL, pause and resume, the job page with
// its duration chart. Screenshots go to test-artifacts/ and are read back: the pixels where the
// DOM puts a badge or a bar have that element's colour, and the layout checks (nothing off-screen
// sideways, nothing under the header, chart and table apart) come from the same DOM.
import { assert, assertEquals } from "./_assert.ts";
import { launchChromium, type Page } from "./_browser.ts";
import { startRig, until } from "./_helpers.ts";
import {
  assertBelowHeader,
  assertContrast,
  assertFitsWidth,
  assertPixelsMatch,
  box,
  boxes,
  overlap,
  shot,
} from "./_layout.ts";

const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;

const text = (page: Page, selector: string) =>
  page.locator(selector).innerText().then((t) => t.replace(/\s+/g, " ").trim());
const rowNames = (page: Page) =>
  page.evaluate(
    `[...document.querySelectorAll("#jobs .job")].map((e) => e.dataset.name)`,
  ) as Promise<
    string[]
  >;

Deno.test({
  name:
    "dashboard in Chromium: live summary, filters, trigger, pause/resume, job page, 1280 and 390 px",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    let fail = true;
    await using rig = await startRig({
      "nightly-backup": {
        options: { cron: "30 2 * * *", timezone: "Europe/Rome", description: "pg_dump to S3" },
      },
      "digest": { options: { every: "1h" } },
      "report.weekly": { options: { cron: "0 9 * * MON" } },
      "flaky-sync": {
        options: { every: "15m", retries: 0 },
        fn: async () => {
          fail = !fail;
          await new Promise((r) => setTimeout(r, fail ? 5 : 40)); // durations that differ
          if (fail) throw new Error("upstream returned 502");
        },
      },
      "warmup": { options: { after: "10m" } },
    }, { http: "127.0.0.1:0" });
    // Some history so the bars have colours.
    for (
      const job of [
        "nightly-backup",
        "flaky-sync",
        "flaky-sync",
        "flaky-sync",
        "nightly-backup",
        "flaky-sync",
      ]
    ) {
      await rig.kron.trigger(job);
      await until(() => rig.kron.status(job).running === 0);
    }
    const token = Deno.env.get("KRON_TOKEN") ??
      Deno.readTextFileSync(`${rig.dataDir}/admin.token`).trim();
    Deno.mkdirSync(ARTIFACTS, { recursive: true });

    await using browser = await launchChromium();
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

    // Not logged in: the login form.
    const first = await page.goto(`${rig.tcpUrl}/`);
    assertEquals(first?.status(), 401);
    await page.fill("#token", token);
    await Promise.all([page.waitForURL(`${rig.tcpUrl}/`), page.click("button[type=submit]")]);
    errors.length = 0; // the 401 of the first load was expected

    // Every job is listed with its state and schedule in words.
    for (const name of ["nightly-backup", "digest", "report.weekly", "flaky-sync", "warmup"]) {
      await page.locator(`[id="job-${name}"]`).waitFor();
    }
    assertEquals(
      await page.locator(`[id="job-nightly-backup"] .sched`).innerText().then((t) =>
        t.split("\n")[0]
      ),
      "At 02:30 (Europe/Rome)",
    );
    assertEquals(await page.locator(`[id="job-flaky-sync"] .badge`).innerText(), "failing");
    await page.waitForSelector("#live.on"); // the EventSource is connected
    await page.evaluate(() => (globalThis as unknown as { marker: number }).marker = 42);
    const noReload = async () =>
      assertEquals(
        await page.evaluate(() => (globalThis as unknown as { marker: number }).marker),
        42,
        "no reload",
      );

    // The summary follows state changes made elsewhere (the library, the CLI), over SSE.
    assertEquals(await text(page, "#summary"), "5 jobs · 1 failing");
    rig.kron.pause("report.weekly");
    await until(async () => await text(page, "#summary") === "5 jobs · 1 failing · 1 paused");
    assertEquals(await page.locator(`[id="job-report.weekly"] .badge`).innerText(), "paused");
    rig.kron.resume("report.weekly");
    await until(async () => await text(page, "#summary") === "5 jobs · 1 failing");
    await noReload();

    // Trigger: the new run shows up live, with no page reload.
    const row = page.locator(`[id="job-digest"]`);
    assertEquals(await row.locator(".bar").count(), 0);
    await row.getByRole("button", { name: "Run now" }).click();
    await until(async () => await page.locator(`[id="job-digest"] .bar.b-succeeded`).count() === 1);
    assertEquals(await page.locator(`[id="job-digest"] .last .o`).innerText(), "succeeded");
    assertEquals(rig.kron.status("digest").totalRuns, 1);
    // A run started elsewhere (the CLI, the schedule) appears too.
    await rig.kron.trigger("report.weekly");
    await until(async () => await page.locator(`[id="job-report.weekly"] .bar`).count() === 1);

    // Pause for 1h, then resume; the summary says so each time.
    await row.locator("select[name=for]").selectOption("1h");
    await row.getByRole("button", { name: "Pause" }).click();
    await until(async () =>
      await page.locator(`[id="job-digest"] .badge`).innerText() === "paused"
    );
    await until(async () => (await text(page, "#summary")).includes("1 paused"));
    assertEquals(rig.kron.status("digest").state, "paused");
    assert(rig.kron.status("digest").pausedUntil !== null);
    await page.locator(`[id="job-digest"]`).getByRole("button", { name: "Resume" }).click();
    await until(async () => await page.locator(`[id="job-digest"] .badge`).innerText() === "idle");
    await until(async () => await text(page, "#summary") === "5 jobs · 1 failing");
    assertEquals(rig.kron.status("digest").state, "idle");
    await noReload();

    // Search as you type: the list narrows, the URL keeps it, a reload shows the same.
    await page.getByLabel("Search").fill("SYNC");
    await until(async () => (await rowNames(page)).join() === "flaky-sync");
    await until(() => new URL(page.url()).search === "?q=SYNC");
    await page.reload();
    assertEquals(await page.getByLabel("Search").inputValue(), "sync");
    assertEquals(await rowNames(page), ["flaky-sync"]);
    // The state filter, with the keyboard: a job that starts matching joins the list live.
    await page.getByLabel("Search").fill("");
    await page.getByLabel("State").focus();
    await page.getByLabel("State").selectOption("paused");
    await page.locator("#no-jobs").waitFor();
    assertEquals(new URL(page.url()).search, "?state=paused");
    await page.evaluate(() => (globalThis as unknown as { marker: number }).marker = 42);
    rig.kron.pause("warmup");
    await until(async () => (await rowNames(page)).join() === "warmup");
    rig.kron.resume("warmup");
    await until(async () => (await rowNames(page)).length === 0);
    await noReload();
    // The summary's counts are links to the same filter.
    await page.click("#summary .sum-failing");
    await page.waitForURL(`${rig.tcpUrl}/?state=failing`);
    assertEquals(await rowNames(page), ["flaky-sync"]);
    assertEquals(await page.getByLabel("State").inputValue(), "failing");
    await page.goto(`${rig.tcpUrl}/`);
    assertEquals((await rowNames(page)).length, 5);

    // 1280 px: the screenshot shows what the DOM says (badge and bar colours where they are).
    let img = await shot(page, `${ARTIFACTS}dashboard.png`);
    assertEquals(img.width, 1280);
    await assertPixelsMatch(page, img, ".badge.s-failing", "background-color");
    assert(await assertPixelsMatch(page, img, ".bar.b-succeeded", "background-color") >= 4);
    await assertFitsWidth(page, [".job", "#summary", "#filter"]);
    await assertBelowHeader(page, ["#summary", "#filter", ".job"]);

    // The keyboard: the first Tab shows the skip link, which leads past the header.
    await page.evaluate("document.activeElement && document.activeElement.blur(); scrollTo(0, 0)");
    await page.keyboard.press("Tab");
    assertEquals(await page.evaluate("document.activeElement.className"), "skip");
    const skip = await box(page, ".skip");
    assert(skip.x >= 0 && skip.x + skip.width <= 1280, "the focused skip link is on screen");
    await page.keyboard.press("Enter");
    await until(() => new URL(page.url()).hash === "#main");

    // Readable: text contrast (light and dark), and every control has a name.
    await assertReadable(page, "the job list");

    // 390 px: no sideways scroll, rows stacked inside the screen, nothing under the header.
    await page.setViewportSize({ width: 390, height: 844 });
    await assertFitsWidth(page, [".job", ".job .actions", "#summary", "#filter", "#q"]);
    await assertBelowHeader(page, ["#summary", "#filter", ".job"]);
    // Short names stay on one line (the name has the row's whole width).
    for (const b of await boxes(page, ".job .name a")) {
      assert(b.height < 26, `one line: ${b.height}`);
    }
    img = await shot(page, `${ARTIFACTS}dashboard-390.png`);
    assertEquals(img.width, 390);
    await assertPixelsMatch(page, img, ".badge.s-failing", "background-color");
    await page.screenshot({ path: `${ARTIFACTS}dashboard-390-full.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });

    // The job page: a duration chart (one bar per run, coloured by outcome), the history.
    await page.click(`[id="job-flaky-sync"] .name a`);
    await page.waitForURL(`${rig.tcpUrl}/jobs/flaky-sync`);
    assertEquals(await page.locator("#runs tbody tr").count(), 4);
    assertEquals(await page.locator("#chart rect").count(), 4);
    assertEquals(await page.locator("#chart rect.c-failed").count(), 2);
    assert((await page.locator("#runs table").innerText()).includes("upstream returned 502"));
    assert((await text(page, "#chart figcaption")).startsWith("Duration of the last 4 runs"));
    // A slower run is a taller bar.
    const heights = await page.evaluate(
      `[...document.querySelectorAll("#chart rect")].map((r) => r.getBoundingClientRect().height)`,
    ) as number[];
    assert(Math.max(...heights) > Math.min(...heights), `bars differ: ${heights}`);
    await page.getByRole("button", { name: "Run now" }).click();
    await until(async () => await page.locator("#runs tbody tr").count() === 5);
    await until(async () => await page.locator("#chart rect").count() === 5);
    await assertJobPageLayout(page);
    await assertReadable(page, "the job page");
    img = await shot(page, `${ARTIFACTS}job.png`);
    await assertPixelsMatch(page, img, "#chart rect.c-failed", "fill");

    // 390 px: the essential columns only, inside the screen; the chart is not over the table.
    await page.setViewportSize({ width: 390, height: 844 });
    await assertJobPageLayout(page);
    const heads = await page.evaluate(
      `[...document.querySelectorAll("#runs th")].filter((e) => e.getClientRects().length)
        .map((e) => e.innerText.trim().toLowerCase())`,
    );
    assertEquals(heads, ["started", "duration", "outcome", "run"]);
    assertEquals(
      await page.evaluate(`(() => { const s = document.getElementById("runs");
        return [s.scrollWidth, s.clientWidth]; })()`).then((v) => {
        const [sw, cw] = v as number[];
        return sw <= cw || `${sw} > ${cw}`;
      }),
      true,
      "the runs table needs no sideways scroll at 390 px",
    );
    // The error of a failed run is still there, under its outcome.
    assert((await page.locator("#runs tbody").innerText()).includes("upstream returned 502"));
    img = await shot(page, `${ARTIFACTS}job-390.png`);
    await assertPixelsMatch(page, img, "#chart rect.c-failed", "fill");
    await page.screenshot({ path: `${ARTIFACTS}job-390-full.png`, fullPage: true });

    assertEquals(errors, [], "no script errors in the page");
  },
});

/** Text contrast in light and dark mode; every visible control has an accessible name. */
async function assertReadable(page: Page, where: string): Promise<void> {
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    assert(await assertContrast(page, `${where} (${colorScheme})`) > 10);
  }
  await page.emulateMedia({ colorScheme: "light" });
  const unnamed = await page.evaluate(`[...document.querySelectorAll("input, select, button, a")]
    .filter((e) => e.getClientRects().length && e.type !== "hidden")
    .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") &&
      !e.textContent.trim() && !e.getAttribute("title"))
    .map((e) => e.outerHTML.slice(0, 80))`);
  assertEquals(unnamed, [], `every control on ${where} has a name`);
}

/** The job page's parts lie inside the viewport, below the header, the chart apart from the table. */
async function assertJobPageLayout(page: Page): Promise<void> {
  await assertFitsWidth(page, ["h1", ".facts", "#chart", "#runs", "#runs th", "#runs td"]);
  await assertBelowHeader(page, [".back", "h1", ".facts", "#chart", "#runs"]);
  const chart = await box(page, "#chart");
  const table = await box(page, "#runs thead");
  assert(!overlap(chart, table), "the chart does not cover the table header");
  assert(chart.y + chart.height <= table.y, "the chart is above the table");
  for (const bar of await boxes(page, "#chart rect")) {
    assert(
      bar.y >= chart.y && bar.y + bar.height <= chart.y + chart.height,
      "bars stay in the chart",
    );
  }
}
