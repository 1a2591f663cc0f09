// Late and down on the dashboard, in real headless Chromium with real time: a job whose run is
// stuck goes late (its due time + grace passes without a success), then down (the next
// occurrence is late too), then back when the run succeeds; the list shows it first, tinted,
// with its badge, the summary, the page title and the job page following each step live.
import { assert, assertEquals } from "./_assert.ts";
import { launchChromium, type Page } from "./_browser.ts";
import { deferred, startRig, until } from "./_helpers.ts";
import { assertContrast, assertFitsWidth, assertPixelsMatch, shot } from "./_layout.ts";

const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;

// The text as written (a down badge is shown in capitals by CSS; its text is "down").
const text = (page: Page, selector: string) =>
  page.locator(selector).textContent().then((t) => (t ?? "").replace(/\s+/g, " ").trim());
const rowNames = (page: Page) =>
  page.evaluate(
    `[...document.querySelectorAll("#jobs .job")].map((e) => e.dataset.name)`,
  ) as Promise<
    string[]
  >;

Deno.test({
  name: "dashboard in Chromium: a stuck job goes late, then down, then recovers, live",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const release = deferred();
    await using rig = await startRig({
      "alpha": { options: { every: "1h" } },
      "beta": { options: { every: "1h" } },
      // Paused until the page is ready. Then due every 4 s with 1 s of grace: the first run hangs,
      // so the job is late 1 s after that due time, and down when the next occurrence (skipped:
      // overlap) is late too, 4 s later.
      "zz-stuck": {
        options: { every: "4s", grace: "1s", overlap: "skip", paused: true },
        fn: () => release.promise,
      },
    }, { http: "127.0.0.1:0" });
    const token = Deno.env.get("KRON_TOKEN") ??
      Deno.readTextFileSync(`${rig.dataDir}/admin.token`).trim();
    Deno.mkdirSync(ARTIFACTS, { recursive: true });

    await using browser = await launchChromium();
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`${rig.tcpUrl}/login`);
    await page.fill("#token", token);
    await Promise.all([page.waitForURL(`${rig.tcpUrl}/`), page.click("button[type=submit]")]);
    await page.waitForSelector("#live.on");
    await page.evaluate(() => (globalThis as unknown as { marker: number }).marker = 9);
    // Before: by name, nothing late.
    assertEquals(await rowNames(page), ["alpha", "beta", "zz-stuck"]);
    rig.kron.resume("zz-stuck");
    await until(async () => (await text(page, `[id="job-zz-stuck"] .badge`)) === "running", 15_000);
    assert((await text(page, `[id="job-zz-stuck"] .next`)).includes("grace 1s"));

    // Late: first in the list, badge and tint, counted in the summary and the title.
    await until(async () => (await text(page, `[id="job-zz-stuck"] .badge`)) === "late", 15_000);
    assertEquals(rig.kron.status("zz-stuck").state, "late");
    assertEquals(await rowNames(page), ["zz-stuck", "alpha", "beta"]);
    await until(async () => (await text(page, "#summary")).includes("1 late"));
    await until(async () => await page.title() === "kron · 1 late");
    assert((await text(page, `[id="job-zz-stuck"] .next`)).startsWith("expected"));
    let img = await shot(page, `${ARTIFACTS}late.png`);
    await assertPixelsMatch(page, img, ".badge.s-late", "background-color");
    await assertPixelsMatch(page, img, ".job.st-late", "background-color");
    await assertContrast(page, "the list with a late job");

    // Down: the next occurrence is late too.
    await until(async () => (await text(page, `[id="job-zz-stuck"] .badge`)) === "down", 15_000);
    await until(async () => (await text(page, "#summary")).includes("1 down"));
    await until(async () => await page.title() === "kron · 1 down");
    assertEquals(await rowNames(page), ["zz-stuck", "alpha", "beta"]);
    img = await shot(page, `${ARTIFACTS}down.png`);
    await assertPixelsMatch(page, img, ".badge.s-down", "background-color");
    await assertContrast(page, "the list with a down job");
    for (const colorScheme of ["dark", "light"] as const) {
      await page.emulateMedia({ colorScheme });
      await assertContrast(page, `the list with a down job (${colorScheme})`);
    }
    // The state filter finds it.
    await page.getByLabel("State").selectOption("down");
    await until(async () => (await rowNames(page)).join() === "zz-stuck");
    // At phone width too.
    await page.setViewportSize({ width: 390, height: 844 });
    await assertFitsWidth(page, [".job", "#summary"]);
    await page.screenshot({ path: `${ARTIFACTS}down-390.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });

    // The job page says since when, and when a run was expected.
    await page.goto(`${rig.tcpUrl}/jobs/zz-stuck`);
    assertEquals(await text(page, "#detail h1 .badge"), "down");
    assert((await text(page, "#expected")).includes("(grace 1s)"));
    await page.locator("#late-since").waitFor();
    assert((await text(page, ".facts")).includes("Down since"));
    await page.screenshot({ path: `${ARTIFACTS}job-down.png`, fullPage: true });

    // The stuck run ends well: back to normal, live, on the job page and then the list.
    await page.evaluate(() => (globalThis as unknown as { marker: number }).marker = 9);
    release.resolve();
    await until(async () => {
      const s = await text(page, "#detail h1 .badge");
      return s !== "down" && s !== "late";
    }, 15_000);
    assertEquals(await page.locator("#late-since").count(), 0);
    assertEquals(
      await page.evaluate(() => (globalThis as unknown as { marker: number }).marker),
      9,
      "no reload",
    );
    await page.goto(`${rig.tcpUrl}/`);
    assertEquals(await page.title(), "kron");
    assertEquals(errors, [], "no script errors in the page");
  },
});
