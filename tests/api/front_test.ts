// The admin API's front thread (src/api/_front*.ts) answers job lists and details from its own
// copy of the folded state: the same bytes as the admin app, through every kind of change, and
// without a call into the scheduler's thread (counted through a wrapper of the Kron).
import { assertEquals } from "./_assert.ts";
import { until } from "./_helpers.ts";
import { Kron } from "../../src/kron/mod.ts";
import { createAdminApp, serveAdmin } from "../../src/api/mod.ts";
import { listJobs } from "../../src/api/routes/jobs.ts";
import { jobDetailText } from "../../src/http/mod.ts";

/** `kron` with its view reads counted (what the admin app calls to answer job reads). */
function counted(kron: Kron): { host: Kron; reads: () => number; pages: () => number } {
  let reads = 0;
  let pages = 0;
  const host = new Proxy(kron, {
    get(target, prop) {
      if (prop === "status" || prop === "summary" || prop === "list") reads++;
      if (prop === "historyPage" || prop === "history") pages++;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { host, reads: () => reads, pages: () => pages };
}

Deno.test("the front thread answers job lists and details from its copy of the state, byte for byte", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "kron-front-" });
  const kron = new Kron({ dataDir, durability: "none", admin: false });
  let release = () => {};
  kron.schedule("ok", { every: "1h" }, () => {});
  kron.schedule("flaky", { every: "1h", retries: 1, retryDelay: "10ms" }, () => {
    throw new Error("boom");
  });
  kron.schedule("graced", { every: "1h", grace: "1m" }, () => {});
  kron.schedule("slow", { every: "1h" }, () => new Promise<void>((r) => release = r));
  kron.schedule("held", { every: "1h", paused: true }, () => {});
  kron.schedule("both", { every: "1h", overlap: "allow" }, async (ctx) => {
    // The first run outlasts the second: they end in the other order than they started.
    await new Promise((r) => setTimeout(r, ctx.attempt === 1 && first++ === 0 ? 80 : 5));
  });
  let first = 0;
  await kron.start();
  const { host, reads, pages } = counted(kron);
  const admin = await serveAdmin(host, { dataDir });
  const appFetch = createAdminApp(kron, { tcp: false, dataDir, version: "test" }).fetch;
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path: admin.socketPath! } });
  const get = async (path: string) => {
    const res = await fetch(`http://kron${path}`, { client });
    assertEquals(res.status, 200, path);
    return await res.text();
  };
  /** First pages of every size: the front's (from the state) read as the app's (from the log). */
  const sameHistory = async (step: string, name: string) => {
    for (let limit = 1; limit <= 7; limit++) {
      const path = `/v1/jobs/${name}/runs?limit=${limit}`;
      const st = kron.engine.state.jobs.get(name)!;
      const before = pages();
      const front = await fetch(`http://kron${path}`, { client });
      // Pages the state holds (all these runs one after the other) are the front's own; runs
      // that overlapped are read from the log.
      const held = st.recent.length + st.inFlight.length;
      if (name === "both" && held > 1) assertEquals(pages() - before, 1, `${step}: ${path} read`);
      else if (limit < held) assertEquals(pages() - before, 0, `${step}: ${path} from the state`);
      const app = await appFetch(new Request(`http://kron${path}`));
      const what = `${step}: ${path}`;
      assertEquals(await front.text(), await app.text(), what);
      assertEquals(front.headers.get("content-type"), app.headers.get("content-type"), what);
      const next = front.headers.get("x-next-cursor");
      assertEquals(next !== null, app.headers.has("x-next-cursor"), `${what}: next`);
      if (next === null) continue;
      // The front's cursor (a run id) leads to the page the app's own cursor leads to.
      const viaFront = await appFetch(new Request(`http://kron${path}&before=${next}`));
      const viaApp = await appFetch(
        new Request(`http://kron${path}&before=${app.headers.get("x-next-cursor")}`),
      );
      assertEquals(await viaFront.text(), await viaApp.text(), `${what}: the next page`);
    }
  };
  const same = async (step: string) => {
    const names = kron.list().map((j) => j.name).sort();
    const before = reads();
    const list = await get("/v1/jobs?limit=1000");
    const page = await get(`/v1/jobs?limit=2&cursor=${names[0]}`);
    const details: string[] = [];
    for (const name of names) details.push(await get(`/v1/jobs/${name}`));
    assertEquals(reads() - before, 0, `${step}: answered by the front thread`);
    for (const name of names) await sameHistory(step, name);
    assertEquals(list, JSON.stringify(listJobs({ kron }, null, 1000)), `${step}: list`);
    assertEquals(page, JSON.stringify(listJobs({ kron }, names[0], 2)), `${step}: page`);
    names.forEach((name, i) =>
      assertEquals(details[i], jobDetailText(kron.status(name)), `${step}: ${name}`)
    );
  };
  try {
    await same("start");
    await kron.trigger("ok");
    await until(() => kron.status("ok").lastRun?.outcome === "succeeded");
    await same("a run");
    for (let i = 0; i < 6; i++) {
      await kron.trigger("ok");
      await until(() => kron.status("ok").totalRuns === i + 2 && !kron.status("ok").running);
    }
    await same("more runs than the state keeps");
    await kron.trigger("flaky");
    await until(() =>
      kron.status("flaky").recentRuns.length === 2 && !kron.status("flaky").running
    );
    await same("a failure and its retry");
    await kron.trigger("slow");
    await until(() => kron.status("slow").running === 1);
    await same("a run in flight");
    release();
    await until(() => kron.status("slow").lastRun?.outcome === "succeeded");
    await same("the run ended");
    await Promise.all([kron.trigger("both"), kron.trigger("both")]);
    await until(() => kron.status("both").recentRuns.length === 2);
    await same("runs that overlapped");
    kron.pause("ok", { for: "1h" });
    await same("paused for an hour");
    kron.resume("ok");
    kron.resume("held");
    await same("resumed");
    kron.schedule("later", { cron: "0 0 * * *", timezone: "UTC" }, () => {});
    await same("a job defined after start");
    kron.unschedule("graced");
    await same("an orphan");
    kron.forget("graced");
    await until(() => !kron.list().some((j) => j.name === "graced"));
    await same("the orphan forgotten");
    // Requests made as the state changes: each answer is the state after the change.
    const triggered = kron.trigger("ok");
    assertEquals(JSON.parse(await get("/v1/jobs/ok")).totalRuns, 8);
    await triggered;
  } finally {
    client.close();
    await admin.close();
    await kron.shutdown({ timeout: "1s" });
    await Deno.remove(dataDir, { recursive: true });
  }
});
