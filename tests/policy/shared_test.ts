// One table of cases (./_cases.ts), run against the embedded engine (fake clock, memory
// store) and against the cluster (a real PostgreSQL, driven step by step with the library's
// functions: trigger, claim, complete/fail): the same job, the same outcomes, the same events,
// state, failure count and next slot. This is what keeps the two on one policy (src/policy).
import { assertEquals } from "../api/_assert.ts";
import { type Case, CASES, FIRST_SLOT_IN, HOUR, project } from "./_cases.ts";
import { rig, T0 } from "../engine/_helpers.ts";
import { startPg } from "../cluster/_pg.ts";
import { sleep } from "../cluster/_helpers.ts";
import { connect, type Sql, tables } from "../../src/cluster/_sql.ts";
import { migrate } from "../../src/cluster/schema.ts";
import { claimRuns, completeRun, failRun } from "../../src/cluster/claims.ts";
import { defineJob, type Tables, triggerJob } from "../../src/cluster/jobs.ts";
import { jobStatus } from "../../src/cluster/views.ts";

interface Seen {
  events: string[];
  state: string;
  consecutiveFailures: number;
  nextSlot: number | null;
}

function slotOf(nextRunAt: Date | null, first: number): number | null {
  if (nextRunAt === null) return null;
  return (nextRunAt.getTime() - first) / HOUR;
}

async function onEngine(c: Case): Promise<Seen> {
  const r = rig();
  const first = T0 + FIRST_SLOT_IN;
  const outcomes: ("ok" | "fail")[] = [];
  let finished = 0;
  r.engine.define("job", { every: "1h", startAt: new Date(first), ...c.options }, () => {
    if (outcomes.shift() === "fail") throw new Error("boom");
  });
  r.engine.onEvent((e) => {
    if (e.type === "RUN_SUCCEEDED" || e.type === "RUN_FAILED") finished++;
  });
  await r.engine.start();
  for (const attempts of c.occurrences) {
    outcomes.push(...attempts);
    const target = finished + attempts.length;
    await r.engine.trigger("job");
    for (let i = 0; i < 100 && finished < target; i++) await r.clock.advance(50);
    assertEquals(finished, target, "every attempt ran");
  }
  const status = r.engine.status("job");
  await r.engine.shutdown();
  return {
    events: project(r.events as unknown as Record<string, unknown>[]),
    state: status.state,
    consecutiveFailures: status.consecutiveFailures,
    nextSlot: slotOf(status.nextRunAt, first),
  };
}

async function onCluster(sql: Sql, t: Tables, c: Case): Promise<Seen> {
  const first = Date.now() + FIRST_SLOT_IN;
  await defineJob(sql, t, "job", {
    every: "1h",
    startAt: new Date(first).toISOString(),
    task: "work",
    ...c.options,
  });
  for (const attempts of c.occurrences) {
    await triggerJob(sql, t, "job");
    for (const outcome of attempts) {
      let runs = await claimRuns(sql, t, { tasks: ["work"], max: 1, leaseMs: 30_000, worker: "w" });
      for (let i = 0; i < 100 && runs.length === 0; i++) {
        await sleep(20); // a retry waits out its delay
        runs = await claimRuns(sql, t, { tasks: ["work"], max: 1, leaseMs: 30_000, worker: "w" });
      }
      assertEquals(runs.length, 1, "the attempt was claimable");
      const run = runs[0];
      if (outcome === "ok") await completeRun(sql, t, run.runId, run.fencingToken);
      else await failRun(sql, t, run.runId, run.fencingToken, { error: "boom" }, () => 0.5);
    }
  }
  const events = (await sql.unsafe(
    `SELECT data FROM ${t.eventLog} WHERE job = 'job' ORDER BY seq`,
  )).map((r) => r.data as Record<string, unknown>);
  const status = await jobStatus(sql, t, "job");
  return {
    events: project(events),
    state: status.state,
    consecutiveFailures: status.consecutiveFailures,
    nextSlot: slotOf(status.nextRunAt, first),
  };
}

Deno.test("policy cases: embedded engine", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, async () => {
      assertEquals(await onEngine(c), c.expect);
    });
  }
});

Deno.test({
  name: "policy cases: cluster (PostgreSQL)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const pg = await startPg();
    const sql = connect(pg.url);
    try {
      let n = 0;
      for (const c of CASES) {
        await t.step(c.name, async () => {
          const s = tables(`policy${++n}`);
          await migrate(sql, s.schema);
          assertEquals(await onCluster(sql, s, c), c.expect);
        });
      }
    } finally {
      await sql.end();
      await pg.destroy();
    }
  },
});
