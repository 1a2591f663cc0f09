// The dashboard of the real runtime (`kron run jobs.toml --http …`, command jobs) in real
// headless Chromium: the HTML 404 page for a browser (JSON for API clients), a run's page with
// its header and back link, and the output of a running command followed live, as text (markup
// in the output stays text), at 1280 and 390 px, screenshots read back against the DOM.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { launchChromium } from "./_browser.ts";
import { project, startRun } from "../e2e/_cli.ts";
import { until } from "./_helpers.ts";
import {
  assertBelowHeader,
  assertContrast,
  assertFitsWidth,
  assertPixelsMatch,
  shot,
} from "./_layout.ts";

const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;

Deno.test({
  name: "dashboard of the runtime in Chromium: 404 page, run page with a live, escaped log tail",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const p = project();
    const go = `${p.dir}/go`;
    p.write(
      "jobs.toml",
      `[[job]]
name = "talker"
every = "1h"
description = "prints, waits for the test's go-ahead, prints again"
command = ["sh", "-c", "echo '<b>start</b> & <script>alert(1)</script>'; while [ ! -f ${go} ]; do sleep 0.05; done; echo second; echo 'déjà vu ✓'"]

[[job]]
name = "boom"
every = "1h"
command = ["sh", "-c", "echo 'disk full' >&2; exit 3"]
`,
    );
    const token = "0123456789abcdef".repeat(4);
    const opts = { cwd: p.dir, dataDir: p.dataDir, env: { KRON_TOKEN: token } };
    const rt = await startRun(["jobs.toml", "--allow-run=sh", "--http", "127.0.0.1:0"], opts);
    try {
      const port = (await rt.waitFor(/admin API on http:\/\/127\.0\.0\.1:(\d+)/))[1];
      const base = `http://127.0.0.1:${port}`;
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`${base}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${token}`, ...init.headers },
        });

      await using browser = await launchChromium();
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      await page.goto(`${base}/login`);
      await page.fill("#token", token);
      await Promise.all([page.waitForURL(`${base}/`), page.click("button[type=submit]")]);
      Deno.mkdirSync(ARTIFACTS, { recursive: true });

      // Unknown job and unknown page: an HTML page to navigate away from.
      for (const path of ["/jobs/nosuch", "/no/such/page"]) {
        const res = await page.goto(`${base}${path}`);
        assertEquals(res?.status(), 404);
        assertMatch(res?.headers()["content-type"] ?? "", /^text\/html/);
        assertEquals(
          (await page.locator("h1").textContent())?.replace(/\s+/g, " ").trim(),
          "Not found (404)",
        );
        await page.getByRole("link", { name: "← all jobs" }).waitFor();
      }
      await page.screenshot({ path: `${ARTIFACTS}not-found.png` });
      await assertContrast(page, "the 404 page");
      await Promise.all([
        page.waitForURL(`${base}/`),
        page.getByRole("link", { name: "← all jobs" }).click(),
      ]);
      // API clients keep JSON.
      let res = await api("/v1/jobs/nosuch", { headers: { accept: "text/html" } });
      assertEquals(res.status, 404);
      assertEquals((await res.json()).error.code, "unknown_job");
      errors.length = 0; // the 404s above are logged by Chromium as failed loads

      // A failed command run: from the job page to its run page and back.
      const boomRun = (await (await api("/v1/jobs/boom/trigger", { method: "POST" })).json()).runId;
      await until(
        async () => (await (await api(`/v1/runs/${boomRun}`)).json()).outcome === "failed",
        10_000,
      );
      await page.goto(`${base}/jobs/boom`);
      await page.click(`[id="run-${boomRun}"] a.rid`);
      await page.waitForURL(`${base}/runs/${boomRun}`);
      assertEquals(await page.locator("#run-head .badge").innerText(), "failed");
      assert((await page.locator("#run-head").innerText()).includes("Exit code\n3"));
      assertEquals((await page.locator("#log").innerText()).trim(), "disk full");
      await page.click(".back a");
      await page.waitForURL(`${base}/jobs/boom#run-${boomRun}`);

      // A running command: its page follows the output live, without a reload.
      const runId = (await (await api("/v1/jobs/talker/trigger", { method: "POST" })).json()).runId;
      await page.goto(`${base}/runs/${runId}`);
      await page.evaluate(() => (globalThis as unknown as { marker: number }).marker = 7);
      await until(async () => (await page.locator("#log").innerText()).includes("start"), 10_000);
      assertEquals(await page.locator("#run-head .badge").innerText(), "running");
      await page.locator("#tail", { hasText: "following" }).waitFor();
      Deno.writeTextFileSync(go, "");
      await until(
        async () => (await page.locator("#log").innerText()).includes("déjà vu ✓"),
        10_000,
      );
      await until(
        async () => await page.locator("#run-head .badge").innerText() === "succeeded",
        10_000,
      );
      assertEquals(
        (await page.locator("#log").innerText()).trim(),
        "<b>start</b> & <script>alert(1)</script>\nsecond\ndéjà vu ✓",
      );
      // The output is text: no element came out of it, and no script ran.
      assertEquals(await page.locator("#log *").count(), 0);
      assertEquals(
        await page.evaluate(() => (globalThis as unknown as { marker: number }).marker),
        7,
        "no reload",
      );
      await page.locator("#tail", { hasText: "run finished" }).waitFor();
      const head = await page.locator("#run-head").innerText();
      assert(head.includes(runId) && head.includes("Finished") && !head.includes("still running"));
      for (const colorScheme of ["dark", "light"] as const) {
        await page.emulateMedia({ colorScheme });
        await assertContrast(page, `the run page (${colorScheme})`);
      }
      let img = await shot(page, `${ARTIFACTS}run.png`);
      await assertPixelsMatch(page, img, "#run-head .badge", "background-color");
      await assertFitsWidth(page, ["#run-head", "#log", ".back"]);
      await assertBelowHeader(page, [".back", "#run-head", "#log"]);

      // The same page at 390 px: inside the screen, the output wraps rather than scrolls.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      // Rendered by the server this time: still text, not markup.
      assertEquals(await page.locator("#log *").count(), 0);
      assert((await page.locator("#log").innerText()).startsWith("<b>start</b> & <script>"));
      await assertFitsWidth(page, ["#run-head", "#log", ".back", "h1"]);
      await assertBelowHeader(page, [".back", "#run-head", "#log"]);
      img = await shot(page, `${ARTIFACTS}run-390.png`);
      await assertPixelsMatch(page, img, "#run-head .badge", "background-color");

      // The raw log is still there for tools.
      res = await api(`/v1/runs/${runId}/log`);
      assertEquals(
        await res.text(),
        "<b>start</b> & <script>alert(1)</script>\nsecond\ndéjà vu ✓\n",
      );
      assertEquals(errors, [], "no script errors in the page");
    } finally {
      await rt.stop();
      await p.cleanup();
    }
  },
});
