// Cluster mode has no late/down watcher yet: `grace`, `downAfter` and `watch` are refused with a
// one-line error before anything reaches PostgreSQL (so no database is needed here).
import { assertEquals, assertMatch } from "../api/_assert.ts";
import { type ClusterJobOptions, defineJob } from "../../src/cluster/jobs.ts";
import { tables } from "../../src/cluster/_sql.ts";
import type { Sql } from "../../src/cluster/_sql.ts";

Deno.test("cluster: grace, downAfter and watch are refused with a one-line error naming job and field", async () => {
  const noDatabase = new Proxy({}, {
    get() {
      throw new Error("the database was reached");
    },
  }) as unknown as Sql;
  for (
    const [field, options] of [
      ["grace", { every: "1h", grace: "10m" }],
      ["downAfter", { every: "1h", downAfter: "1h" }],
      ["watch", { every: "1h", watch: true }],
    ] as const
  ) {
    let message = "";
    try {
      // `watch` is not a job option at all: a PUT body may still carry it.
      await defineJob(noDatabase, tables("kron"), "backup", options as ClusterJobOptions);
    } catch (e) {
      message = (e as Error).message;
    }
    assertMatch(
      message,
      new RegExp(`^job "backup": ${field} is not supported in cluster mode yet`),
    );
    assertEquals(message.includes("\n"), false);
  }
});
