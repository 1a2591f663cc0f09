// TCP authentication: bearer token, login form + session cookie, CSRF guard, token file.
import { assert, assertEquals, assertMatch, assertNotMatch, assertRejects } from "./_assert.ts";
import { postJson, startRig, tempDir } from "./_helpers.ts";
import { Kron } from "../../src/kron/mod.ts";
import { serveAdmin } from "../../src/api/mod.ts";
import { createSession, SESSION_TTL_MS } from "../../src/http/auth.ts";

const UNAUTHORIZED = { error: { code: "unauthorized", message: "authentication required" } };

function withEnv<T>(name: string, value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const old = Deno.env.get(name);
  if (value === undefined) Deno.env.delete(name);
  else Deno.env.set(name, value);
  return fn().finally(() => old === undefined ? Deno.env.delete(name) : Deno.env.set(name, old));
}

Deno.test("TCP: token file is created 0600 with 64 hex chars; missing/wrong token → 401 revealing nothing", async () => {
  await withEnv("KRON_TOKEN", undefined, async () => {
    await using rig = await startRig({ a: { options: { every: "1h" } } }, { http: "127.0.0.1:0" });
    const path = `${rig.dataDir}/admin.token`;
    assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
    const token = Deno.readTextFileSync(path).trim();
    assertMatch(token, /^[0-9a-f]{64}$/);
    const probes: [string, RequestInit][] = [
      ["/v1/jobs", {}],
      ["/v1/jobs/a", {}],
      ["/v1/no-such-route", {}],
      ["/metrics", {}],
      ["/v1/events", {}],
      ["/v1/jobs", { headers: { authorization: "Bearer " + "0".repeat(64) } }],
      ["/v1/jobs", { headers: { authorization: "Bearer " + token.slice(0, 63) } }],
      ["/v1/jobs", { headers: { authorization: "Bearer " + token + "0" } }],
      ["/v1/jobs", { headers: { authorization: "Basic " + btoa("kron:" + token) } }],
      ["/v1/jobs", { headers: { cookie: "kron_session=1.abc" } }],
      ["/v1/jobs/a/trigger", { method: "POST" }],
    ];
    for (const [p, init] of probes) {
      const res = await rig.tcp(p, init);
      assertEquals(res.status, 401, p);
      assertEquals(res.headers.get("www-authenticate"), 'Bearer realm="kron"');
      assertEquals(await res.json(), UNAUTHORIZED, p);
    }
    assertEquals(rig.kron.status("a").totalRuns, 0);
    let res = await rig.tcp("/v1/jobs", { headers: { authorization: `Bearer ${token}` } });
    assertEquals(res.status, 200);
    assertEquals((await res.json()).jobs[0].name, "a");
    res = await rig.tcp("/v1/jobs/a", { headers: { authorization: `bearer ${token}` } });
    assertEquals(res.status, 200);
    await res.body?.cancel();
    // Bearer requests need no Origin: browsers never add that header by themselves.
    res = await rig.tcp("/v1/jobs/a/trigger", {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    assertEquals(res.status, 202);
    await res.body?.cancel();
    // Open routes.
    res = await rig.tcp("/healthz");
    assertEquals([res.status, await res.json()], [200, { status: "ok" }]);
    res = await rig.tcp("/login");
    assertEquals(res.status, 200);
    assertMatch(await res.text(), /name="token"/);
    // The socket needs no token.
    res = await rig.sock("/v1/jobs");
    assertEquals(res.status, 200);
    await res.body?.cancel();
  });
});

Deno.test("TCP: a browser navigation without a session gets the login form with 401", async () => {
  await using rig = await startRig({ a: { options: { every: "1h" } } }, { http: "127.0.0.1:0" });
  const res = await rig.tcp("/jobs/a?x=1", {
    headers: { accept: "text/html,application/xhtml+xml" },
  });
  assertEquals(res.status, 401);
  const page = await res.text();
  assertMatch(page, /<form class="login" method="post" action="\/login">/);
  assertMatch(page, /name="next" value="\/jobs\/a\?x=1"/);
  assertNotMatch(page, /id="job-a"/);
});

Deno.test("login form sets an HttpOnly SameSite=Strict session cookie; CSRF guard on cookie posts", async () => {
  await withEnv("KRON_TOKEN", undefined, async () => {
    await using rig = await startRig({ a: { options: { every: "1h" } } }, { http: "127.0.0.1:0" });
    const token = Deno.readTextFileSync(`${rig.dataDir}/admin.token`).trim();
    const form = (t: string, next = "/jobs/a") => ({
      method: "POST",
      body: new URLSearchParams({ token: t, next }),
      redirect: "manual" as const,
    });
    let res = await rig.tcp("/login", form("nope"));
    assertEquals(res.status, 401);
    assertEquals(res.headers.get("set-cookie"), null);
    assertMatch(await res.text(), /Wrong token/);
    res = await rig.tcp("/login", form(token));
    assertEquals(res.status, 303);
    assertEquals(res.headers.get("location"), "/jobs/a");
    const setCookie = res.headers.get("set-cookie")!;
    assertMatch(setCookie, /^kron_session=\d+\.[0-9a-f]{64}; /);
    for (
      const attr of ["HttpOnly", "SameSite=Strict", "Path=/", `Max-Age=${SESSION_TTL_MS / 1000}`]
    ) {
      assert(setCookie.split("; ").includes(attr), attr);
    }
    assert(!setCookie.includes(token), "the cookie is not the token");
    // An open redirect is not possible through `next`.
    res = await rig.tcp("/login", form(token, "//evil.example/"));
    assertEquals(res.headers.get("location"), "/");
    await res.body?.cancel();

    const cookie = setCookie.split(";")[0];
    res = await rig.tcp("/", { headers: { cookie } });
    assertEquals(res.status, 200);
    assertMatch(await res.text(), /id="job-a"/);
    res = await rig.tcp("/v1/jobs", { headers: { cookie } });
    assertEquals(res.status, 200);
    await res.body?.cancel();
    const host = new URL(rig.tcpUrl).host;
    const post = (headers: Record<string, string>) =>
      rig.tcp("/ui/jobs/a/pause", {
        method: "POST",
        body: new URLSearchParams({ for: "1h" }),
        headers: { cookie, accept: "application/json", ...headers },
      });
    const crossSite: Record<string, string>[] = [
      {},
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { origin: "http://evil.example" },
      { origin: "null" },
    ];
    for (const h of crossSite) {
      res = await post(h);
      assertEquals(res.status, 403, JSON.stringify(h));
      assertEquals((await res.json()).error.code, "forbidden");
    }
    assertEquals(rig.kron.status("a").state, "idle");
    res = await post({ "sec-fetch-site": "same-origin" });
    assertEquals(res.status, 200);
    assertEquals((await res.json()).ok, true);
    assertEquals(rig.kron.status("a").state, "paused");
    res = await rig.tcp("/v1/jobs/a/resume", {
      method: "POST",
      headers: { cookie, origin: `http://${host}` },
    });
    assertEquals(res.status, 200);
    assertEquals((await res.json()).state, "idle");
    // A JSON API post with a cookie but a cross-site origin is refused too.
    res = await rig.tcp("/v1/jobs/a/trigger", {
      ...postJson({}),
      headers: { cookie, "sec-fetch-site": "cross-site" },
    });
    assertEquals(res.status, 403);
    await res.body?.cancel();

    // Tampered and expired sessions are rejected.
    const [exp, mac] = cookie.slice("kron_session=".length).split(".");
    for (
      const bad of [
        `kron_session=${Number(exp) + 1000}.${mac}`,
        `kron_session=${exp}.${mac.slice(0, -1)}${mac.endsWith("0") ? "1" : "0"}`,
        `kron_session=${await createSession(token, Date.now() - SESSION_TTL_MS - 1000)}`,
        `kron_session=${await createSession("f".repeat(64), Date.now())}`,
      ]
    ) {
      res = await rig.tcp("/v1/jobs", { headers: { cookie: bad } });
      assertEquals(res.status, 401, bad);
      await res.body?.cancel();
    }
    // Log out clears the cookie.
    res = await rig.tcp("/logout", {
      method: "POST",
      headers: { cookie, "sec-fetch-site": "same-origin" },
      redirect: "manual",
    });
    assertEquals(res.status, 303);
    assertMatch(res.headers.get("set-cookie")!, /^kron_session=; .*Max-Age=0/);
    await res.body?.cancel();
  });
});

Deno.test("the socket refuses cross-site browser posts too (a proxied socket is still guarded)", async () => {
  await using rig = await startRig({ a: { options: { every: "1h" } } });
  const res = await rig.sock("/ui/jobs/a/trigger", {
    method: "POST",
    headers: { "sec-fetch-site": "cross-site" },
  });
  assertEquals(res.status, 403);
  await res.body?.cancel();
});

Deno.test("KRON_TOKEN wins over the token file; short values are refused", async () => {
  const token = "k".repeat(40);
  await withEnv("KRON_TOKEN", token, async () => {
    await using rig = await startRig({ a: { options: { every: "1h" } } }, { http: "127.0.0.1:0" });
    let res = await rig.tcp("/v1/jobs", { headers: { authorization: `Bearer ${token}` } });
    assertEquals(res.status, 200);
    await res.body?.cancel();
    res = await rig.tcp("/v1/jobs", { headers: { authorization: `Bearer ${"k".repeat(39)}` } });
    assertEquals(res.status, 401);
    await res.body?.cancel();
    await assertRejects(() => Deno.stat(`${rig.dataDir}/admin.token`));
  });
  await withEnv("KRON_TOKEN", "short", async () => {
    const kron = new Kron({ store: "memory" });
    await assertRejects(
      () => serveAdmin(kron, { dataDir: null, http: "127.0.0.1:0" }),
      (e) => assertMatch((e as Error).message, /KRON_TOKEN must be at least 16 characters/),
    );
  });
});

Deno.test("a non-loopback address on a fresh data dir creates admin.token 0600; an existing one is kept", async () => {
  await withEnv("KRON_TOKEN", undefined, async () => {
    const dataDir = tempDir();
    const kron = new Kron({ dataDir, durability: "none", admin: false });
    await kron.start();
    try {
      // A container's first start on an empty volume: no token yet, none given.
      let admin = await serveAdmin(kron, { http: "0.0.0.0:0" });
      assert(admin.http !== null && admin.http.port > 0);
      assertEquals(admin.http.tokenFile, `${dataDir}/admin.token`);
      assertEquals(admin.http.tokenCreated, true);
      assertEquals(Deno.statSync(`${dataDir}/admin.token`).mode! & 0o777, 0o600);
      const token = Deno.readTextFileSync(`${dataDir}/admin.token`).trim();
      assertMatch(token, /^[0-9a-f]{64}$/);
      let res = await fetch(`http://127.0.0.1:${admin.http.port}/v1/jobs`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assertEquals(res.status, 200);
      await res.body?.cancel();
      res = await fetch(`http://127.0.0.1:${admin.http.port}/v1/jobs`);
      assertEquals(res.status, 401);
      await res.body?.cancel();
      await admin.close();
      // The next start keeps it.
      admin = await serveAdmin(kron, { http: "0.0.0.0:0" });
      assertEquals(admin.http?.tokenCreated, false);
      assertEquals(Deno.readTextFileSync(`${dataDir}/admin.token`).trim(), token);
      await admin.close();
    } finally {
      await kron.shutdown();
      Deno.removeSync(dataDir, { recursive: true });
    }
    // A memory store has no data dir for a token file: KRON_TOKEN is the only way.
    await assertRejects(
      () => serveAdmin(new Kron({ store: "memory" }), { http: "127.0.0.1:0" }),
      (e) => assertMatch((e as Error).message, /set KRON_TOKEN/),
    );
  });
});

Deno.test("TCP with the bearer token answers every route as the socket does", async () => {
  await withEnv("KRON_TOKEN", undefined, async () => {
    await using rig = await startRig({ a: { options: { every: "1h" } } }, {
      http: "127.0.0.1:0",
      reload: () => Promise.resolve({ added: [], changed: [], removed: [] }),
    });
    const auth = {
      authorization: `Bearer ${Deno.readTextFileSync(`${rig.dataDir}/admin.token`).trim()}`,
    };
    const runId =
      (await (await rig.tcp("/v1/jobs/a/trigger", { method: "POST", headers: auth })).json()).runId;
    const routes: [string, string, number][] = [
      ["GET", "/v1/jobs", 200],
      ["GET", "/v1/jobs/a", 200],
      ["GET", "/v1/jobs/a/runs?limit=2", 200],
      ["GET", `/v1/runs/${runId}`, 200],
      ["GET", `/v1/runs/${runId}/log`, 404],
      ["POST", "/v1/jobs/a/pause", 200],
      ["POST", "/v1/jobs/a/resume", 200],
      ["DELETE", "/v1/jobs/a", 409],
      ["POST", "/v1/reload", 200],
      ["POST", "/v1/compact", 200],
      ["GET", "/healthz", 200],
      ["GET", "/metrics", 200],
      ["GET", "/", 200],
      ["GET", "/jobs/a", 200],
      ["GET", "/nope", 404],
    ];
    for (const [method, path, status] of routes) {
      const viaTcp = await rig.tcp(path, { method, headers: auth });
      const viaSocket = await rig.sock(path, { method });
      assertEquals([viaTcp.status, viaSocket.status], [status, status], `${method} ${path}`);
      await viaTcp.body?.cancel();
      await viaSocket.body?.cancel();
    }
    const events = await rig.tcp("/v1/events", { headers: auth });
    assertEquals(events.status, 200);
    await events.body?.cancel();
  });
});
