// A node that stalls inside a transaction (its database link slowed or cut mid-tick, or the
// process frozen) gives its row locks back within seconds: kron's sessions run with
// idle_in_transaction_session_timeout (src/cluster/_sql.ts). Without it, a node behind a link
// delayed 1.5 s held a job's row through a whole tick of slow round trips while the other
// nodes skipped it (tests/cluster/partition_test.ts once saw no run in 5 s); behind a cut
// link, until the server's TCP keepalive noticed. Here a transaction of connect()'s pool locks a
// row and then never sends its next statement: another session must get the row (SKIP LOCKED)
// within 6 s, the stalled transaction must fail rather than commit, and the pool must serve
// again afterwards.
import { assert, assertEquals } from "../api/_assert.ts";
import postgres from "postgres";
import { startPg } from "./_pg.ts";
import { connect } from "../../src/cluster/_sql.ts";
import { sleep } from "./_helpers.ts";

Deno.test({
  name: "cluster: a session stalled inside a transaction releases its row locks and rolls back",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await startPg();
    const other = postgres(pg.url, { onnotice: () => {} });
    const sql = connect(pg.url, { max: 2 });
    try {
      await other.unsafe(`CREATE TABLE slot (id int PRIMARY KEY, owner text)`);
      await other.unsafe(`INSERT INTO slot VALUES (1, NULL)`);
      let locked = false;
      // The stalled transaction's next step never comes (a promise nobody resolves): a
      // statement sent on a session PostgreSQL ended would never answer in postgres.js 3.4.9.
      const stalled = sql.begin(async (tx) => {
        await tx.unsafe(`UPDATE slot SET owner = 'stalled' WHERE id = 1`);
        locked = true;
        await new Promise(() => {});
      }).then(() => "committed", (e) => `failed: ${e}`);
      while (!locked) await sleep(10);
      const [first] = await other.unsafe(`SELECT id FROM slot FOR UPDATE SKIP LOCKED`);
      assertEquals(first, undefined, "the stalled transaction holds the row at first");
      let got = false;
      const deadline = Date.now() + 6_000;
      while (!got && Date.now() < deadline) {
        got = await other.begin(async (tx) => {
          const rows = await tx.unsafe(`SELECT id FROM slot FOR UPDATE SKIP LOCKED`);
          if (rows.length > 0) await tx.unsafe(`UPDATE slot SET owner = 'other' WHERE id = 1`);
          return rows.length > 0;
        });
        if (!got) await sleep(100);
      }
      assert(got, "another session got the row within 6 s of the stall");
      const outcome = await stalled;
      assert(outcome.startsWith("failed"), `the stalled transaction ${outcome}`);
      const [row] = await other.unsafe(`SELECT owner FROM slot WHERE id = 1`);
      assertEquals(row.owner, "other", "the stalled write rolled back; only the other stands");
      const [again] = await sql.unsafe(`SELECT 1 AS one`);
      assertEquals(again.one, 1, "the pool serves again after its session was ended");
    } finally {
      await sql.end({ timeout: 1 }); // without the limit the stalled session never ends
      await other.end();
      await pg.destroy();
    }
  },
});
