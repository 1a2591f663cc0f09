// The nodes take turns looking for expired leases (a look reads every open run): a node skips
// its look while another node's look, recorded once done, is recent (the database's clock).
import { assert, assertEquals } from "../api/_assert.ts";
import { startPg } from "./_pg.ts";
import { connect, tables } from "../../src/cluster/_sql.ts";
import { migrate } from "../../src/cluster/schema.ts";
import { lookedAt, recordLook } from "../../src/cluster/_reap_turn.ts";

Deno.test({
  name: "cluster: a reaper look recorded by one node spares the others for the period",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await startPg();
    const a = connect(pg.url), b = connect(pg.url);
    try {
      const t = tables("turns");
      await migrate(a, t.schema);
      const first = await lookedAt(a, t, 400);
      assert(first !== null, "nobody has looked yet");
      // Not recorded yet (still looking): the others may look too.
      assert((await lookedAt(b, t, 400)) !== null);
      await recordLook(a, t, first);
      assertEquals(await lookedAt(b, t, 400), null);
      assertEquals(await lookedAt(a, t, 400), null);
      // An older look recorded late does not move the record back.
      await recordLook(b, t, new Date(first.getTime() - 60_000));
      assertEquals(await lookedAt(b, t, 400), null);
      await new Promise((r) => setTimeout(r, 500));
      assert((await lookedAt(b, t, 400)) !== null, "the period is over");
    } finally {
      await a.end();
      await b.end();
      await pg.destroy();
    }
  },
});
