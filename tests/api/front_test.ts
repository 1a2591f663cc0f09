// The admin API's front thread (src/api/_front*.ts) answers job lists and details from its own
// copy of the folded state: the same bytes as the admin app, through every kind of change, and
// without a call into the scheduler's thread (counted through a wrapper of the Kron).
import { assertEquals } from "./_assert.ts";
import { startRig, until } from "./_helpers.ts";
import { API_THREAD_NICENESS } from "../../src/api/_thread_priority.ts";
import { Kron } from "../../src/kron/mod.ts";
import { createAdminApp, serveAdmin } from "../../src/api/mod.ts";
import { listJobs } from "../../src/api/routes/jobs.ts";
import { jobDetailText } from "../../src/http/mod.ts";
import { MemoryStore, type Store } from "../../src/store/mod.ts";

/**
 * `read()`'s result once it ran without `counter` moving (the front answered it itself): the
 * front forwards a read when its copy lags more than 250 ms, which a loaded machine can cause;
 * a few tries tell that apart from a front that never answers.
 */
async function fromFront<T>(counter: () => number, read: () => Promise<T>, what: string) {
  for (let attempt = 1;; attempt++) {
    const before = counter();
    const result = await read();
    if (counter() === before) return result;
    if (result instanceof Response) await result.body?.cancel();
    if (attempt === 5) throw new Error(`${what}: forwarded 5 times, never answered by the front`);
  }
}

/** `kron` with its view reads counted (what the admin app calls to answer job reads). */
function counted(
  kron: Kron,
): { host: Kron; reads: () => number; pages: () => number; engine: () => number } {
  let reads = 0;
  let pages = 0;
  let engine = 0;
  const host = new Proxy(kron, {
    get(target, prop) {
      if (prop === "status" || prop === "summary" || prop === "list") reads++;
      if (prop === "engine") engine++;
      if (prop === "historyPage" || prop === "history") pages++;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { host, reads: () => reads, pages: () => pages, engine: () => engine };
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
  const { host, reads, pages, engine } = counted(kron);
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
      // Pages the state holds (all these runs one after the other) are the front's own; runs
      // that overlapped are read from the log.
      const held = st.recent.length + st.inFlight.length;
      const what = `${step}: ${path}`;
      const fetchIt = () => fetch(`http://kron${path}`, { client });
      let front: Response;
      if (name === "both" && held > 1) {
        const before = pages();
        front = await fetchIt();
        assertEquals(pages() - before, 1, `${what} read from the log`);
      } else if (limit < held) front = await fromFront(pages, fetchIt, what);
      else front = await fetchIt();
      const app = await appFetch(new Request(`http://kron${path}`));
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
    const [list, again, page, details] = await fromFront(reads, async () => {
      const list = await get("/v1/jobs?limit=1000");
      // Asked again with nothing changed: the page kept as text (_front_pages.ts), sent twice.
      const again = await get("/v1/jobs?limit=1000");
      const page = await get(`/v1/jobs?limit=2&cursor=${names[0]}`);
      const details: string[] = [];
      for (const name of names) details.push(await get(`/v1/jobs/${name}`));
      return [list, again, page, details] as const;
    }, `${step}: job reads`);
    for (const name of names) await sameHistory(step, name);
    assertEquals(list, JSON.stringify(listJobs({ kron }, null, 1000)), `${step}: list`);
    assertEquals(again, list, `${step}: the list asked again`);
    assertEquals(page, JSON.stringify(listJobs({ kron }, names[0], 2)), `${step}: page`);
    names.forEach((name, i) =>
      assertEquals(details[i], jobDetailText(kron.status(name)), `${step}: ${name}`)
    );
  };
  try {
    await same("start");
    // Health: the app reads it from the engine; the front from its copy, same answer.
    const health = await fromFront(
      engine,
      () => fetch("http://kron/healthz", { client }),
      "/healthz",
    );
    const appHealth = await appFetch(new Request("http://kron/healthz"));
    assertEquals(await health.text(), await appHealth.text());
    for (const h of ["content-type", "cache-control"]) {
      assertEquals(health.headers.get(h), appHealth.headers.get(h), h);
    }
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

Deno.test("the front thread's /healthz turns 503 the moment the log refuses writes, and back", async () => {
  // A store that fails its writes on demand (a full disk), served on a socket of a temp dir.
  const inner = new MemoryStore();
  let failing = false;
  const store: Store = {
    durable: true,
    open: () => inner.open(),
    append: (e) => failing ? Promise.reject(new Error("ENOSPC: no space left")) : inner.append(e),
    history: (j, q) => inner.history(j, q),
    findRun: (id) => inner.findRun(id),
    compact: (s) => inner.compact(s),
    close: () => inner.close(),
  };
  const dataDir = Deno.makeTempDirSync({ prefix: "kron-front-" });
  const kron = new Kron({ store });
  kron.schedule("a", { every: "1h" }, () => {});
  await kron.start();
  const admin = await serveAdmin(kron, { dataDir });
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path: admin.socketPath! } });
  const health = async () => {
    const res = await fetch("http://kron/healthz", { client });
    return [res.status, await res.json()];
  };
  try {
    assertEquals(await health(), [200, { status: "ok" }]);
    failing = true;
    await kron.trigger("a").catch(() => {});
    await until(() => kron.engine.ioError !== null);
    // No wait: the next answer already says why.
    const [status, body] = await health();
    assertEquals(status, 503);
    assertEquals(body.reason, "event log write failed: ENOSPC: no space left");
    failing = false;
    await until(() => kron.engine.ioError === null, 5000, "the log writable again");
    assertEquals(await health(), [200, { status: "ok" }]);
  } finally {
    client.close();
    await admin.close();
    await kron.shutdown({ timeout: "1s" });
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("the API's threads run at a lower CPU priority than the scheduler's (Linux nice)", async () => {
  await using rig = await startRig({ a: { options: { every: "1h" } } });
  await (await rig.sock("/metrics")).arrayBuffer(); // starts the render worker
  const { stdout } = await new Deno.Command("ps", {
    args: ["-L", "-o", "tid=,ni=,comm=", "-p", String(Deno.pid)],
  }).output();
  const text = new TextDecoder().decode(stdout);
  const threads = text.trim().split("\n").map((l) => {
    const [tid, ni, ...comm] = l.trim().split(/\s+/);
    return { tid: Number(tid), ni: Number(ni), comm: comm.join(" ") };
  });
  // The scheduler's thread keeps the process's nice value (0, or what `nice -n` gave the tests).
  const main = threads.find((t) => t.tid === Deno.pid)!;
  const expected = Math.min(19, main.ni + API_THREAD_NICENESS);
  assertEquals(main.ni < expected, true, `the test runs below nice 19: ${text}`);
  const lowered = threads.filter((t) => t.comm.startsWith("worker-") && t.ni === expected);
  assertEquals(lowered.length >= 2, true, `front and render worker at nice ${expected}: ${text}`);
});

Deno.test("a client gone before its forwarded answer came does not hold the listener's shutdown", async () => {
  const rig = await startRig({ a: { options: { every: "1h" } } });
  // curl asks for the live events and gives up after 200 ms, while this thread (the scheduler's,
  // which answers forwarded requests) is busy: the answer's head comes after the client left.
  const curl = new Deno.Command("curl", {
    args: [
      "-s",
      "--max-time",
      "0.2",
      "--unix-socket",
      `${rig.dataDir}/kron.sock`,
      "http://kron/v1/events",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const until = performance.now() + 800;
  while (performance.now() < until) {
    // busy: no turn of the event loop
  }
  await curl.status;
  const t0 = performance.now();
  await rig.close();
  const ms = performance.now() - t0;
  // A liveness bound, not a speed figure: a stuck close waits out its 10 s timeout.
  assertEquals(ms < 5_000, true, `close took ${Math.round(ms)} ms`);
});

Deno.test("every answer says kron's own part of its time (Server-Timing), read here or forwarded", async () => {
  const rig = await startRig({ a: { options: { every: "1h" } } });
  try {
    // Answered by the front from its copy, forwarded to the scheduler's thread, and a write.
    for (
      const [path, init] of [
        ["/healthz", {}],
        ["/v1/jobs/a", {}],
        ["/metrics", {}],
        ["/v1/jobs/a/trigger", { method: "POST" }],
      ] as [string, RequestInit][]
    ) {
      const res = await rig.sock(path, init);
      await res.body?.cancel();
      const timing = res.headers.get("server-timing") ?? "";
      const m = /^kron;dur=(\d+\.\d)$/.exec(timing);
      assertEquals(m !== null, true, `${path}: server-timing "${timing}"`);
      assertEquals(Number(m![1]) >= 0, true, path);
    }
  } finally {
    await rig.close();
  }
});
