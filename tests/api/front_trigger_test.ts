// `POST /v1/jobs/:name/trigger` takes the front's shortcut (src/api/_front_trigger.ts) when the
// admin app would pass it to the route, and answers as the route does; anything else (a refused
// trigger, a field, a cross-site or unauthenticated request) is the app's to answer, as before.
import { assert, assertEquals } from "./_assert.ts";
import { startRig, until } from "./_helpers.ts";
import { emptyJsonBody, triggerTarget } from "../../src/api/_front_trigger.ts";
import { createAdminApp } from "../../src/api/mod.ts";

const post = (path: string, headers: Record<string, string> = {}) =>
  new Request(`http://kron${path}`, { method: "POST", headers });

Deno.test("front trigger: only what the app would pass to the route takes the shortcut", () => {
  const at = (req: Request, auth: "socket" | "bearer" = "socket") =>
    triggerTarget(req, new URL(req.url).pathname, auth);
  assertEquals(at(post("/v1/jobs/nightly.backup-2/trigger")), "nightly.backup-2");
  assertEquals(at(post("/v1/jobs/a/trigger?x=1")), "a"); // the route reads no query
  assertEquals(at(new Request("http://kron/v1/jobs/a/trigger")), null); // GET
  assertEquals(at(post("/v1/jobs/a/pause")), null);
  assertEquals(at(post("/v1/jobs/a/trigger/")), null);
  assertEquals(at(post("/v1/jobs/a%2Fb/trigger")), null); // the app decodes, then refuses it
  assertEquals(at(post("/v1/jobs/-a/trigger")), null); // not a job name: the app's 400
  // The app's own CSRF rule: a browser's cross-site POST is refused there, not here.
  assertEquals(at(post("/v1/jobs/a/trigger", { "sec-fetch-site": "cross-site" })), null);
  assertEquals(at(post("/v1/jobs/a/trigger", { "sec-fetch-site": "same-origin" })), "a");
  assertEquals(
    at(post("/v1/jobs/a/trigger", { origin: "http://evil.example", host: "kron" })),
    null,
  );
  // A bearer token is no browser's: the app lets it through whatever the headers say.
  assertEquals(at(post("/v1/jobs/a/trigger", { "sec-fetch-site": "cross-site" }), "bearer"), "a");
});

Deno.test("front trigger: no body, blanks, or {} as JSON read as no fields", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  assert(emptyJsonBody(null, null));
  assert(emptyJsonBody(bytes(""), "text/plain"));
  assert(emptyJsonBody(bytes("  \n"), null)); // the route reads blanks as {}
  assert(emptyJsonBody(bytes(" { } "), "application/json; charset=utf-8"));
  assert(!emptyJsonBody(bytes("{}"), null)); // the app answers 415
  assert(!emptyJsonBody(bytes("{}"), "text/plain"));
  assert(!emptyJsonBody(bytes('{"x":1}'), "application/json")); // the app's 400
  assert(!emptyJsonBody(bytes("[]"), "application/json"));
  assert(!emptyJsonBody(bytes("{"), "application/json"));
  assert(!emptyJsonBody(bytes(`{${" ".repeat(300)}}`), "application/json"));
});

Deno.test("front trigger: the shortcut answers as the route does; the rest goes to the app", async () => {
  await using rig = await startRig(
    { a: { options: { every: "1h" } } },
    { http: "127.0.0.1:0" },
  );
  // Each trigger call, and whether the admin app (Hono) made it.
  const calls: { job: string; viaApp: boolean }[] = [];
  const trigger = rig.kron.trigger.bind(rig.kron);
  rig.kron.trigger = (name: string) => {
    calls.push({ job: name, viaApp: /hono/.test(new Error().stack ?? "") });
    return trigger(name);
  };
  // The route's own answer, from the app in this thread.
  const app = createAdminApp(rig.kron, {
    tcp: false,
    dataDir: rig.dataDir,
    version: "test",
  });
  const fromApp = await app.request("/v1/jobs/a/trigger", { method: "POST" });
  assertEquals(fromApp.status, 202);
  await fromApp.body?.cancel();
  assertEquals(calls.splice(0), [{ job: "a", viaApp: true }]);

  const viaSocket = await rig.sock("/v1/jobs/a/trigger", { method: "POST" });
  assertEquals(viaSocket.status, 202);
  // The same headers as the route's (the server's own aside).
  const named = (h: Headers) =>
    [...h].filter(([k]) => !["date", "content-length", "server-timing"].includes(k));
  assertEquals(named(viaSocket.headers), named(fromApp.headers));
  const { runId } = await viaSocket.json();
  assert(/^[0-9A-HJKMNP-TV-Z]{26}$/.test(runId), `runId ${runId}`);
  const withEmptyJson = await rig.sock("/v1/jobs/a/trigger", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  assertEquals(withEmptyJson.status, 202);
  await withEmptyJson.body?.cancel();
  const token = Deno.readTextFileSync(rig.admin.http!.tokenFile!).trim();
  const viaTcp = await rig.tcp("/v1/jobs/a/trigger", {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  assertEquals(viaTcp.status, 202);
  await viaTcp.body?.cancel();
  assertEquals(calls.splice(0), [
    { job: "a", viaApp: false },
    { job: "a", viaApp: false },
    { job: "a", viaApp: false },
  ]);
  // The runs started as any trigger's: the one answered is in the job's history, once.
  await until(async () => {
    const { runs } = await rig.kron.historyPage("a", { limit: 20 });
    return runs.filter((r) => r.id === runId).length === 1 && runs.length === 4;
  });

  // Refused by the engine: declined, then forwarded, and the app's error is the answer.
  const unknown = await rig.sock("/v1/jobs/nope/trigger", { method: "POST" });
  assertEquals(unknown.status, 404);
  assertEquals((await unknown.json()).error.code, "unknown_job");
  assertEquals(calls.splice(0), [{ job: "nope", viaApp: false }, { job: "nope", viaApp: true }]);

  // Never sent to the shortcut: a field, a body that is not JSON, no token, a cross-site POST.
  const field = await rig.sock("/v1/jobs/a/trigger", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: '{"x":1}',
  });
  assertEquals([field.status, (await field.json()).error.code], [400, "bad_request"]);
  const plain = await rig.sock("/v1/jobs/a/trigger", { method: "POST", body: "{}" });
  assertEquals(plain.status, 415);
  await plain.body?.cancel();
  const noToken = await rig.tcp("/v1/jobs/a/trigger", { method: "POST" });
  assertEquals(noToken.status, 401);
  await noToken.body?.cancel();
  const crossSite = await rig.sock("/v1/jobs/a/trigger", {
    method: "POST",
    headers: { "sec-fetch-site": "cross-site" },
  });
  assertEquals(crossSite.status, 403);
  await crossSite.body?.cancel();
  assertEquals(calls, [], "the app refused them before the route");
});
