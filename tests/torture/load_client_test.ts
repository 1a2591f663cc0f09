// The load case's lean HTTP client (scripts/torture/_load_client.ts): answers of every framing
// read whole, one connection kept for many requests, Server-Timing read.
import { assertEquals } from "../api/_assert.ts";
import { KeepAliveClient } from "../../scripts/torture/_load_client.ts";

Deno.test("the load client reads sized, chunked and empty answers on one kept connection", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "kron-load-client-" });
  const path = `${dir}/s.sock`;
  const big = "x".repeat(300_000); // more than one read of the socket
  const server = Deno.serve({ path, onListen() {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/sized") {
      return new Response(big, { headers: { "server-timing": "kron;dur=1.5" } });
    }
    if (url.pathname === "/chunked") {
      const parts = ["ab", "c".repeat(70_000), "d"];
      return new Response(
        new ReadableStream({
          pull(c) {
            const p = parts.shift();
            if (p === undefined) c.close();
            else c.enqueue(new TextEncoder().encode(p));
          },
        }),
      );
    }
    return new Response(null, { status: req.method === "POST" ? 204 : 404 });
  });
  const c = new KeepAliveClient(path);
  try {
    const sized = await c.request("GET", "/sized", {}, true);
    assertEquals([sized.status, sized.bytes, sized.serverTiming], [200, 300_000, 1.5]);
    assertEquals(new TextDecoder().decode(sized.body), big);
    const chunked = await c.request("GET", "/chunked", {}, true);
    assertEquals([chunked.status, chunked.bytes, chunked.serverTiming], [200, 70_003, null]);
    assertEquals(new TextDecoder().decode(chunked.body), "ab" + "c".repeat(70_000) + "d");
    assertEquals((await c.request("POST", "/x")).status, 204);
    const missing = await c.request("GET", "/nothing");
    assertEquals([missing.status, missing.bytes], [404, 0]);
    // Kept bodies are copies: a later answer does not overwrite an earlier one.
    assertEquals(new TextDecoder().decode(sized.body), big);
  } finally {
    c.close();
    await server.shutdown();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("the load client keeps one connection and opens another after a broken one", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "kron-load-client-" });
  const path = `${dir}/s.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  let accepted = 0;
  const served = (async () => {
    for await (const conn of listener) {
      accepted++;
      void (async () => {
        const buf = new Uint8Array(4096);
        let seen = "";
        for (;;) {
          const n = await conn.read(buf).catch(() => null);
          if (n === null) break;
          seen += new TextDecoder().decode(buf.subarray(0, n));
          while (seen.includes("\r\n\r\n")) {
            const head = seen.slice(0, seen.indexOf("\r\n\r\n"));
            seen = seen.slice(seen.indexOf("\r\n\r\n") + 4);
            if (head.startsWith("GET /break")) {
              conn.close(); // mid-answer: no status line at all
              return;
            }
            await conn.write(new TextEncoder().encode(
              "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
            ));
          }
        }
        conn.close();
      })();
    }
  })();
  const c = new KeepAliveClient(path);
  try {
    for (let i = 0; i < 5; i++) assertEquals((await c.request("GET", "/a")).status, 200);
    assertEquals(accepted, 1, "five requests on one connection");
    let threw = false;
    await c.request("GET", "/break").catch(() => threw = true);
    assertEquals(threw, true, "a broken connection rejects");
    assertEquals((await c.request("GET", "/a")).status, 200);
    assertEquals(accepted, 2, "the next request opened a new connection");
  } finally {
    c.close();
    listener.close();
    await served.catch(() => {});
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("the load client speaks TCP too (tcp://host:port), as the scraper reaches /metrics", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => new Response(req.headers.get("authorization") ?? "none"),
  );
  const c = new KeepAliveClient(`tcp://127.0.0.1:${server.addr.port}`);
  try {
    const a = await c.request("GET", "/metrics", { authorization: "Bearer t" }, true);
    assertEquals([a.status, new TextDecoder().decode(a.body)], [200, "Bearer t"]);
  } finally {
    c.close();
    await server.shutdown();
  }
});
