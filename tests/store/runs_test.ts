// The run history index drives the real reducer: check that what it keeps for each run is
// exactly what the live state shows for the same run, over random event sequences.
import assert from "node:assert/strict";
import { apply, emptyState, type KronEvent } from "../../src/store/mod.ts";
import { RunIndex } from "../../src/store/_runs.ts";
import { at, defined } from "./_helpers.ts";

function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

Deno.test("run index: entries equal the reducer's for random event sequences", () => {
  for (let seed = 1; seed <= 30; seed++) {
    const r = rng(seed);
    const jobs = ["a", "b", "c"];
    const state = emptyState();
    const idx = new RunIndex();
    let seq = 0;
    const feed = (e: KronEvent) => {
      e.seq = ++seq;
      apply(state, e);
      idx.add(structuredClone(e));
    };
    for (const j of jobs) feed(defined(j));
    const inflight: { job: string; id: string; attempt: number }[] = [];
    const finished: { job: string; id: string }[] = [];
    for (let i = 0; i < 200; i++) {
      const t = at(i);
      const pick = r();
      if (pick < 0.35 || inflight.length === 0) {
        const job = jobs[Math.floor(r() * jobs.length)];
        const id = `${job}-${i}`;
        const attempt = 1 + Math.floor(r() * 2);
        inflight.push({ job, id, attempt });
        feed({
          type: "RUN_STARTED",
          time: t,
          job,
          runId: id,
          attempt,
          scheduledAt: t,
          idempotencyKey: `${job}:${t}`,
          trigger: r() < 0.2 ? "manual" : "schedule",
          jitterMs: 0,
        });
        continue;
      }
      const k = Math.floor(r() * inflight.length);
      const run = inflight[k];
      const base = { time: t, job: run.job, runId: run.id, attempt: run.attempt };
      if (pick < 0.45) {
        feed({ type: "RUN_SPAWNED", ...base, pid: i, pgid: i, startTime: null });
        continue;
      }
      inflight.splice(k, 1);
      finished.push(run);
      const end = { ...base, durationMs: r() < 0.5 ? null : 5, exitCode: null };
      if (pick < 0.6) feed({ type: "RUN_SUCCEEDED", ...end });
      else if (pick < 0.7) feed({ type: "RUN_FAILED", ...end, error: "x" });
      else if (pick < 0.8) feed({ type: "RUN_TIMED_OUT", ...end, error: "timeout" });
      else if (pick < 0.88) feed({ type: "RUN_CANCELLED", ...end, reason: "replace" });
      else feed({ type: "RUN_ABANDONED", time: t, job: run.job, runId: run.id });
      if (r() < 0.2) feed({ type: "RUN_DEAD", time: t, job: run.job, runId: run.id, attempts: 2 });
    }
    for (const job of state.jobs.values()) {
      for (const run of [...job.inFlight, ...job.recent]) {
        const got = idx.runs(job.name).find((x) => x.id === run.id);
        assert.deepEqual(got, run, `seed ${seed} run ${run.id}`);
      }
      assert.equal(idx.runs(job.name).length, job.totalRuns);
    }
  }
});
