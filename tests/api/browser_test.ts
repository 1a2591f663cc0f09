// The dashboard in real headless Chromium over TCP: log in, see the jobs, trigger a run and watch
// it appear without a reload, pause and resume, open a job page; screenshots in test-artifacts/.
import { assert, assertEquals } from "./_assert.ts";
import { launchChromium } from "./_browser.ts";
import { startRig, until } from "./_helpers.ts";

/** The bit of the DOM the test reads in the page (Deno's own lib has no `document`). */
type Dom = { document: { documentElement: { scrollWidth: number } } };

const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;

Deno.test({
  name: "dashboard in Chromium: login, live trigger, pause/resume, job page, phone width",
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
        fn: () => {
          fail = !fail;
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

    // Trigger: the new run shows up live, with no page reload.
    await page.evaluate(() => (globalThis as unknown as { marker: number }).marker = 42);
    const row = page.locator(`[id="job-digest"]`);
    assertEquals(await row.locator(".bar").count(), 0);
    await row.getByRole("button", { name: "Run now" }).click();
    await until(async () => await page.locator(`[id="job-digest"] .bar.b-succeeded`).count() === 1);
    assertEquals(await page.locator(`[id="job-digest"] .last .o`).innerText(), "succeeded");
    assertEquals(
      await page.evaluate(() => (globalThis as unknown as { marker: number }).marker),
      42,
      "no reload",
    );
    assertEquals(rig.kron.status("digest").totalRuns, 1);
    // A run started elsewhere (the CLI, the schedule) appears too.
    await rig.kron.trigger("report.weekly");
    await until(async () => await page.locator(`[id="job-report.weekly"] .bar`).count() === 1);

    // Pause for 1h, then resume.
    await row.locator("select[name=for]").selectOption("1h");
    await row.getByRole("button", { name: "Pause" }).click();
    await until(async () =>
      await page.locator(`[id="job-digest"] .badge`).innerText() === "paused"
    );
    assertEquals(rig.kron.status("digest").state, "paused");
    assert(rig.kron.status("digest").pausedUntil !== null);
    await page.locator(`[id="job-digest"]`).getByRole("button", { name: "Resume" }).click();
    await until(async () => await page.locator(`[id="job-digest"] .badge`).innerText() === "idle");
    assertEquals(rig.kron.status("digest").state, "idle");

    Deno.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });

    // Phone width: nothing overflows sideways.
    await page.setViewportSize({ width: 375, height: 812 });
    assert(
      await page.evaluate(() =>
        (globalThis as unknown as Dom).document.documentElement.scrollWidth <= 375
      ),
      "no horizontal scroll at 375 px",
    );
    await page.screenshot({ path: `${ARTIFACTS}dashboard-375.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });

    // The job page: history with outcomes and errors, updated live.
    await page.click(`[id="job-flaky-sync"] .name a`);
    await page.waitForURL(`${rig.tcpUrl}/jobs/flaky-sync`);
    assertEquals(await page.locator("table tbody tr").count(), 4);
    assert((await page.locator("table").innerText()).includes("upstream returned 502"));
    await page.getByRole("button", { name: "Run now" }).click();
    await until(async () => await page.locator("table tbody tr").count() === 5);
    await page.screenshot({ path: `${ARTIFACTS}job.png`, fullPage: true });

    assertEquals(errors, [], "no script errors in the page");
  },
});
