// A scrape that the scheduler's thread would answer with the last body of /metrics (1,000 or
// more jobs changed since it was collected) is answered by the front thread itself, from the
// body it was sent: it never waits for a turn of the scheduler's thread. Anything else is
// forwarded, and TCP still wants the token.
import { assert, assertEquals } from "./_assert.ts";
import { until } from "./_helpers.ts";
import { parseExposition, valueOf } from "./_prom.ts";
import { Kron } from "../../src/kron/mod.ts";
import { serveAdmin } from "../../src/api/mod.ts";
import { LARGE_RENDER, metricsFor } from "../../src/api/metrics.ts";

Deno.test("the front answers a scrape with the last body while a large render is due; then forwards", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "kron-front-metrics-" });
  const kron = new Kron({ dataDir, durability: "none", admin: false });
  const jobs = Array.from(
    { length: LARGE_RENDER + 50 },
    (_, i) => `j${String(i).padStart(5, "0")}`,
  );
  for (const name of jobs) kron.schedule(name, { every: "1h" }, () => {});
  await kron.start();
  const admin = await serveAdmin(kron, { dataDir, http: "127.0.0.1:0" });
  const metrics = metricsFor(kron, { dataDir, version: "test" });
  // Counts the scrapes that reached the scheduler's thread (the route calls body()).
  let onScheduler = 0;
  const body = metrics.body.bind(metrics);
  metrics.body = (gzip?: boolean) => {
    onScheduler++;
    return body(gzip);
  };
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path: admin.socketPath! } });
  const scrape = async () => {
    const res = await fetch("http://kron/metrics", { client }); // asks for gzip, inflates
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-encoding"), "gzip");
    return await res.text();
  };
  const paused = (text: string) =>
    valueOf(parseExposition(text), "kron_jobs", { state: "paused" }) ?? 0;
  try {
    const first = await scrape(); // nothing to reuse: rendered on the scheduler's thread
    assertEquals([onScheduler, paused(first)], [1, 0]);
    // Every job changed. The metrics hear of an event when it is committed, before this later
    // listener does: once this one has all of them, so has the rule the front reads.
    let pauses = 0;
    const off = kron.onEvent((e) => void (e.type === "JOB_PAUSED" && pauses++));
    for (const name of jobs) kron.pause(name);
    await until(() => pauses === jobs.length);
    off();
    const stale = metrics.staleAnswers;
    const second = await scrape();
    assertEquals(onScheduler, 1, "answered by the front");
    assertEquals(second, first, "the last body, as the scheduler's thread would answer");
    await until(() => metrics.staleAnswers === stale + 1); // counted there
    // Over TCP the same scrape wants the token: without it the app refuses it (401).
    const tcp = `http://127.0.0.1:${admin.http!.port}/metrics`;
    const refused = await fetch(tcp);
    await refused.body?.cancel();
    assertEquals(refused.status, 401);
    const token = Deno.readTextFileSync(admin.http!.tokenFile!).trim();
    const viaTcp = await fetch(tcp, { headers: { authorization: `Bearer ${token}` } });
    assertEquals(await viaTcp.text(), first);
    assertEquals(onScheduler, 1, "the TCP scrape with its token, by the front too");
    // The render the scrape did not wait for starts shortly after; then no large render is
    // due, and the next scrape is forwarded and fresh.
    await until(() => metrics.renders >= 2);
    await until(async () => paused(await scrape()) === jobs.length);
    assert(onScheduler >= 2, "forwarded once the render was done");
  } finally {
    client.close();
    await admin.close();
    await kron.shutdown({ timeout: "1s" });
    await Deno.remove(dataDir, { recursive: true });
  }
});
