// A run that kron could not record (kill -9 before its RUN_SPAWNED): its processes are found by
// the KRON_RUN_ID marker in their environment, through /proc and through ps, and only theirs
// are stopped.
import { assert, assertEquals } from "../e2e/_assert.ts";
import { until } from "../_util/poll.ts";
import { processesWithEnviron, useProcessTable } from "../../src/jobs/process_table.ts";
import { killMarkedLeftovers } from "../../src/jobs/process_tree.ts";

for (const kind of ["proc", "ps"] as const) {
  Deno.test(`killMarkedLeftovers (${kind}): the marked tree is stopped, another run's is not`, async () => {
    useProcessTable(kind);
    const runId = `01TESTMARK${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const other = `01TESTOTHR${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const tree = new Deno.Command("sh", {
      args: ["-c", "sleep 30 & sleep 30"],
      env: { KRON_RUN_ID: runId },
      stdout: "null",
      stderr: "null",
    }).spawn();
    const bystander = new Deno.Command("sleep", {
      args: ["30"],
      env: { KRON_RUN_ID: other },
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      // sh and its two sleeps carry the marker.
      await until(
        async () => (await processesWithEnviron(`KRON_RUN_ID=${runId}`)).length >= 3,
        "the marked tree",
        5_000,
        10,
      );
      assertEquals(await killMarkedLeftovers(runId, { graceMs: 300 }), "killed");
      await until(
        async () => (await processesWithEnviron(`KRON_RUN_ID=${runId}`)).length === 0,
        "the marked tree to be gone",
        5_000,
        10,
      );
      const left = await processesWithEnviron(`KRON_RUN_ID=${other}`);
      assert(left.includes(bystander.pid), "another run's process is left alone");
      assertEquals(await killMarkedLeftovers(runId), "gone");
    } finally {
      useProcessTable(null);
      for (const c of [tree, bystander]) {
        try {
          c.kill("SIGKILL");
        } catch {
          // gone
        }
        await c.status;
      }
    }
  });
}
