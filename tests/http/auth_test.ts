// src/http/auth.ts: the login page is the caller's (src/api passes its dashboard's form); without
// one, a browser gets the JSON 401 as any other client does (the cluster's server).
import { Hono } from "hono";
import { assertEquals } from "../api/_assert.ts";
import { requireAuth } from "../../src/http/mod.ts";

const TOKEN = "t".repeat(64);
const BROWSER = { accept: "text/html,application/xhtml+xml" };

function app(loginPage?: (next: string) => Response): Hono {
  const app = new Hono();
  app.use("*", requireAuth(() => TOKEN, loginPage));
  app.get("/jobs", (c) => c.text("in"));
  return app;
}

Deno.test("requireAuth: a browser gets the caller's login page, told where to go next", async () => {
  const res = await app((next) => new Response(`login then ${next}`, { status: 401 }))
    .request("/jobs?state=failed", { headers: BROWSER });
  assertEquals(res.status, 401);
  assertEquals(await res.text(), "login then /jobs?state=failed");
});

Deno.test("requireAuth: without a login page a browser gets the JSON 401; the token lets in", async () => {
  const res = await app().request("/jobs", { headers: BROWSER });
  assertEquals(res.status, 401);
  assertEquals(res.headers.get("www-authenticate"), 'Bearer realm="kron"');
  assertEquals(await res.json(), {
    error: { code: "unauthorized", message: "authentication required" },
  });
  const ok = await app().request("/jobs", { headers: { authorization: `Bearer ${TOKEN}` } });
  assertEquals(ok.status, 200);
  assertEquals(await ok.text(), "in");
});
