// A retry that falls due while its job is paused waits, and runs on resume. The move of its
// time to the resume is folded from JOB_RESUMED by the reducer (the engine writes no folded
// state itself), so a replay of the log gives the same pending retry.
import { assertEquals } from "../api/_assert.ts";
import { rig, T0 } from "./_helpers.ts";
import { emptyState } from "../../src/store/state.ts";
import { apply } from "../../src/store/reducer.ts";

Deno.test("a retry due during a pause runs on resume; the fold moves its time", async () => {
  const r = rig();
  const attempts: number[] = [];
  r.engine.define("j", { every: "1h", retries: 1, retryDelay: "10s" }, (ctx) => {
    attempts.push(ctx.attempt);
    if (ctx.attempt === 1) throw new Error("boom");
  });
  await r.engine.start();
  await r.engine.trigger("j");
  await r.clock.advance(0);
  assertEquals(attempts, [1]);
  r.engine.pause("j");
  await r.clock.advance(20_000);
  assertEquals(attempts, [1], "no retry while paused");
  const folded = () => r.engine.state.jobs.get("j")!.pendingRetry?.retryAt;
  const retryAt = folded()!;
  assertEquals(retryAt < r.clock.now(), true);
  // The log up to an event, folded afresh (listeners hear events once they are committed).
  const replay = (until: string) => {
    let state = emptyState();
    for (const e of r.events) {
      state = apply(state, e);
      if (e.type === until) break;
    }
    return state.jobs.get("j")!.pendingRetry?.retryAt ?? null;
  };
  assertEquals(replay("JOB_PAUSED"), retryAt);
  const resumedAt = r.clock.now();
  r.engine.resume("j");
  assertEquals(folded(), resumedAt);
  await r.clock.advance(0);
  assertEquals(attempts, [1, 2]);
  assertEquals(replay("JOB_RESUMED"), resumedAt);
  assertEquals(r.engine.status("j").state, "idle");
  assertEquals(r.clock.now() - T0 >= 20_000, true);
  await r.engine.shutdown();
});
