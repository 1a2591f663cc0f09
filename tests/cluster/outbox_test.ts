// The worker's outbox: one request of outcomes travels at a time (batches stay large), but one
// left unanswered for 250 ms (a node slow to answer: its database link) no longer holds the
// outcomes queued behind it; they leave in a request of their own. While the cluster fails,
// no second request is added: the one sender backs off and retries.
import { assert, assertEquals } from "../api/_assert.ts";
import { Outbox, type Outcome } from "../../src/cluster/_outbox.ts";
import type { ClaimedRun } from "../../src/cluster/claims.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function outcome(runId: string, delivered: string[]): Outcome {
  const run = { runId, fencingToken: 1 } as ClaimedRun;
  return {
    run,
    error: null,
    timedOut: false,
    resolve: () => delivered.push(runId),
    giveUpAt: Date.now() + 60_000,
  };
}

Deno.test("outbox: a request unanswered for 250 ms does not hold the outcomes behind it", async () => {
  const sent: { path: string; at: number }[] = [];
  const answers: (() => void)[] = [];
  let travelling = 0;
  let most = 0;
  const outbox = new Outbox(async (path) => {
    sent.push({ path, at: Date.now() });
    travelling++;
    most = Math.max(most, travelling);
    // The first request hangs until released (a slow node); the others answer at once.
    if (sent.length === 1) await new Promise<void>((r) => answers.push(r));
    travelling--;
    return new Response('{"accepted":[],"rejected":[]}');
  }, 2);
  const delivered: string[] = [];
  const start = Date.now();
  outbox.push(outcome("a", delivered));
  await sleep(50);
  outbox.push(outcome("b", delivered));
  outbox.push(outcome("c", delivered));
  await sleep(100);
  // 150 ms in: b and c wait behind a (one request at a time).
  assertEquals(sent.length, 1);
  await sleep(250);
  // a has been held 250 ms: b and c left together in a request of their own, and arrived.
  assertEquals(sent.map((s) => s.path), ["/v1/runs/a/complete", "/v1/complete"]);
  assert(sent[1].at - start >= 245, `second request after ${sent[1].at - start} ms`);
  assertEquals(delivered, ["b", "c"]);
  assert(outbox.busy);
  answers[0]();
  await sleep(10);
  assertEquals(delivered, ["b", "c", "a"]);
  assertEquals(most, 2);
  assert(!outbox.busy);
});

Deno.test("outbox: a failing cluster gets one request at a time, retried until it answers", async () => {
  let calls = 0;
  let travelling = 0;
  let most = 0;
  const outbox = new Outbox(async () => {
    calls++;
    travelling++;
    most = Math.max(most, travelling);
    await sleep(20);
    travelling--;
    if (calls <= 3) throw new TypeError("connection refused");
    return new Response('{"accepted":[],"rejected":[]}');
  }, 2);
  const delivered: string[] = [];
  for (const id of ["a", "b", "c"]) outbox.push(outcome(id, delivered));
  const deadline = Date.now() + 10_000;
  while (delivered.length < 3 && Date.now() < deadline) {
    await sleep(50);
    outbox.push(outcome(`late${calls}`, []));
  }
  assertEquals(delivered.sort(), ["a", "b", "c"]);
  assertEquals(most, 1);
  while (outbox.busy && Date.now() < deadline) await sleep(20);
});
