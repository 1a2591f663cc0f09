// NodeSet against real local servers: round-robin over live nodes, a refused or 5xx node
// skipped with one WARN line (and one when it answers again), and a non-idempotent request
// sent on only when it never reached a node.
import { assert, assertEquals, assertRejects } from "../api/_assert.ts";
import { neverReached, NodeSet, parseNodeUrls } from "../../src/http/nodes.ts";
import { freePort } from "../_util/ports.ts";

function server(status = 200) {
  let hits = 0;
  const s = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    hits++;
    return new Response("{}", { status });
  });
  return {
    url: `http://127.0.0.1:${s.addr.port}`,
    get hits() {
      return hits;
    },
    close: () => s.shutdown(),
  };
}

/** A port nothing listens on now; the test listens on it again later (a revived node). */
function closedPort(): string {
  return `http://127.0.0.1:${freePort()}`;
}

/** Accepts connections, reads a little, and closes them unanswered (a node dying mid-request). */
function resetter() {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let hits = 0;
  (async () => {
    for await (const conn of l) {
      hits++;
      conn.read(new Uint8Array(1024)).finally(() => conn.close()).catch(() => {});
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(l.addr as Deno.NetAddr).port}`,
    get hits() {
      return hits;
    },
    close: () => l.close(),
  };
}

Deno.test("parseNodeUrls: lists, comma-separated strings, bad URLs", () => {
  assertEquals(parseNodeUrls("http://a:1/, http://b:2"), ["http://a:1", "http://b:2"]);
  assertEquals(parseNodeUrls(["http://a:1", "http://a:1/"]), ["http://a:1"]);
  for (const bad of ["", " , ", "a:1"]) {
    let threw = false;
    try {
      parseNodeUrls(bad);
    } catch {
      threw = true;
    }
    assert(threw, `accepted ${JSON.stringify(bad)}`);
  }
});

Deno.test("neverReached: refused connects only", () => {
  assert(neverReached(new TypeError("tcp connect error: Connection refused (os error 111)")));
  assert(!neverReached(new TypeError("connection closed before message completed")));
});

Deno.test({
  name: "NodeSet: spreads, fails over, warns once per loss and regain, guards non-idempotent calls",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lines: string[] = [];
    const warn = (m: string) => lines.push(`WARN ${m}`);
    const a = server();
    const b = server();
    const dead = closedPort();
    const failing = server(503);
    const reset = resetter();
    try {
      // Round-robin over live nodes.
      const two = new NodeSet([a.url, b.url], warn);
      for (let i = 0; i < 10; i++) {
        await two.fetch("/x", { method: "GET" }, { idempotent: true }).then((r) => r.text());
      }
      assertEquals([a.hits, b.hits], [5, 5]);

      // A refused node: every call moves on, even a non-idempotent one (it never arrived).
      const withDead = new NodeSet([dead, a.url], warn);
      for (let i = 0; i < 6; i++) {
        const res = await withDead.fetch("/t", { method: "POST" }, { idempotent: i % 2 === 0 });
        assertEquals(res.status, 200);
        await res.text();
      }
      assertEquals(lines.filter((l) => l.includes(`node ${dead} lost`)).length, 1);
      assert(lines.some((l) => l.startsWith("WARN") || l.includes("WARN")), lines.join("\n"));

      // A 5xx node: idempotent calls move on; a non-idempotent one gets the 5xx.
      const with503 = new NodeSet([failing.url, b.url], warn);
      const before = b.hits;
      assertEquals(
        (await with503.fetch("/r", { method: "GET" }, { idempotent: true })).status,
        200,
      );
      assertEquals(b.hits, before + 1);
      const again = new NodeSet([failing.url, b.url], warn);
      const res = await again.fetch("/t", { method: "POST" }, { idempotent: false });
      assertEquals(res.status, 503);
      await res.text();
      assertEquals(b.hits, before + 1);

      // A node that resets mid-request: a non-idempotent call is not sent again elsewhere.
      const withReset = new NodeSet([reset.url, a.url], warn);
      const aBefore = a.hits;
      await assertRejects(() =>
        withReset.fetch("/t", { method: "POST", body: "{}" }, { idempotent: false })
      );
      assertEquals(a.hits, aBefore);
      assert(reset.hits >= 1);

      // A lost node that comes back is used again, with one WARN line.
      const port = Number(new URL(dead).port);
      const revived = Deno.serve(
        { hostname: "127.0.0.1", port, onListen() {} },
        () => new Response("{}"),
      );
      try {
        const deadline = Date.now() + 3000;
        while (!lines.some((l) => l.includes(`node ${dead} regained`)) && Date.now() < deadline) {
          await (await withDead.fetch("/r", { method: "GET" }, { idempotent: true })).text();
          await new Promise((r) => setTimeout(r, 50));
        }
        assertEquals(lines.filter((l) => l.includes(`node ${dead} regained`)).length, 1);
      } finally {
        await revived.shutdown();
      }
    } finally {
      await Promise.all([a.close(), b.close(), failing.close()]);
      reset.close();
    }
  },
});

Deno.test({
  name: "NodeSet: a node holding a request unanswered past 250 ms is passed over meanwhile",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    let release = () => {};
    const held = new Promise<void>((r) => release = r);
    let slowHits = 0;
    const slow = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async () => {
      slowHits++;
      await held;
      return new Response("{}");
    });
    const quick = server();
    const slowUrl = `http://127.0.0.1:${slow.addr.port}`;
    try {
      const nodes = new NodeSet([slowUrl, quick.url], () => {});
      // Round-robin sends the first request to the slow node; it does not answer.
      const first = nodes.fetch("/x", { method: "GET" }, { idempotent: true });
      await new Promise((r) => setTimeout(r, 50));
      assertEquals(slowHits, 1);
      // Within 250 ms it is not known slow: round-robin still gives it its turn.
      assertEquals(nodes.pick(), quick.url);
      assertEquals(nodes.pick(), slowUrl);
      await new Promise((r) => setTimeout(r, 300));
      // Held past 250 ms while another node answers at once: passed over.
      for (let i = 0; i < 6; i++) {
        await (await nodes.fetch("/y", { method: "GET" }, { idempotent: true })).text();
      }
      assertEquals(slowHits, 1);
      assertEquals(quick.hits, 6);
      release();
      await (await first).text();
    } finally {
      release();
      await Promise.all([slow.shutdown(), quick.close()]);
    }
  },
});
