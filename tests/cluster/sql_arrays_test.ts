// Arrays bound as parameters reach PostgreSQL as arrays from a pool's first statement on.
// postgres.js learns how to send them from a catalog query each new connection runs first, and
// bound some first statements of a fresh pool before it had (porsager/postgres#789): ["tick"]
// went as "tick" and a node's first claims failed with "malformed array literal" (seen as a
// 500 and a node marked lost in tests/cluster/slow_node_test). _sql.ts sends them itself.
import { assertEquals } from "../api/_assert.ts";
import { startPg } from "./_pg.ts";
import { arrayLiteral, connect, tables } from "../../src/cluster/_sql.ts";
import { migrate } from "../../src/cluster/schema.ts";
import { claimRunsJson, nextPendingAt } from "../../src/cluster/claims.ts";
import { CLAIM_SETTINGS } from "../../src/cluster/_claim_run.ts";

Deno.test("arrayLiteral: quotes every element, escapes quotes and backslashes, NULL", () => {
  assertEquals(arrayLiteral([]), "{}");
  assertEquals(arrayLiteral(["a", 'b"c', "d\\e", null]), '{"a","b\\"c","d\\\\e",NULL}');
  assertEquals(arrayLiteral([1, 2]), '{"1","2"}');
  assertEquals(arrayLiteral("{x}"), "{x}");
});

Deno.test({
  name: "cluster: text[] and int[] parameters, on fresh pools, arrive as the arrays sent",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await startPg();
    try {
      const texts = ["tick", 'a "quoted", {braced} name', "back\\slash", "", "ünï", null, "NULL"];
      const ints = [1, -2, 2147483647, null];
      const sql = connect(pg.url, { max: 3 });
      try {
        const [row] = await sql.unsafe(
          `SELECT array_to_json($1::text[])::text AS t, array_to_json($2::int[])::text AS i`,
          [texts, ints],
        );
        assertEquals(JSON.parse(row.t as string), texts);
        assertEquals(JSON.parse(row.i as string), ints);
        await migrate(sql, "arr");
      } finally {
        await sql.end();
      }
      // A node's start, many times: fresh pools (one with the claim's settings) whose first
      // statements are claims and due-time reads of ["tick"], sent at once on new connections,
      // before the driver's own array support may be there (it failed ~1 in 600 such claims).
      const t = tables("arr");
      const claim = { tasks: ["tick"], max: 2, leaseMs: 30_000, worker: "w" };
      let claims = 0;
      for (let round = 0; round < 100; round++) {
        const main = connect(pg.url, { max: 4 });
        const tuned = connect(pg.url, { max: 3, settings: CLAIM_SETTINGS });
        try {
          const got = await Promise.all([
            ...[0, 1, 2].map(() => claimRunsJson(main, t, claim, tuned)),
            ...[0, 1, 2].map(() => nextPendingAt(main, t, ["tick"])),
          ]);
          assertEquals(got.map((g) => Array.isArray(g) ? g.length : g), [
            0,
            0,
            0,
            null,
            null,
            null,
          ]);
          claims += 3;
        } finally {
          await Promise.all([main.end(), tuned.end()]);
        }
      }
      assertEquals(claims, 300);
    } finally {
      await pg.destroy();
    }
  },
});
