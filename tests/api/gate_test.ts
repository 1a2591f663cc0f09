// Requests step aside just before occurrences are due (src/api/_gate.ts).
import assert from "node:assert/strict";
import { GATE_MAX_WAIT_MS, GATE_MS, gated } from "../../src/api/_gate.ts";

const req = () => new Request("http://localhost/healthz");
const now = () => performance.now();

Deno.test("gate: with nothing due soon a request is handled at once (no promise in between)", () => {
  let calls = 0;
  const handler = gated(
    () => {
      calls++;
      return new Response("ok");
    },
    () => now() + GATE_MS + 5,
    now,
  );
  const res = handler(req());
  assert.ok(res instanceof Response);
  assert.equal(calls, 1);
});

Deno.test("gate: a request in the last GATE_MS before a due time is handled after it", async () => {
  const dueAt = now() + GATE_MS / 2;
  let handledAt = 0;
  const handler = gated(
    () => {
      handledAt = now();
      return new Response("ok");
    },
    () => (now() < dueAt ? dueAt : Infinity),
    now,
  ); // the runs start on the dot
  const t0 = now();
  const res = await handler(req());
  assert.equal(res.status, 200);
  assert.ok(handledAt >= dueAt, `handled ${(dueAt - handledAt).toFixed(1)} ms before it was due`);
  assert.ok(now() - t0 < GATE_MAX_WAIT_MS, "released once they started");
});

Deno.test("gate: a request waits for the runs due when it came, not for the groups after them", async () => {
  // Groups due every 5 ms for a second, as interval jobs defined one after the other fall due:
  // there is always one due within GATE_MS, and waiting for a quiet moment would take the cap.
  const t0 = now();
  const first = t0 + 3;
  const nextAt = () => {
    const t = now();
    if (t < first) return first;
    return t - t0 > 1_000 ? Infinity : first + Math.ceil((t - first + 0.001) / 5) * 5;
  };
  let handledAt = 0;
  const handler = gated(
    () => {
      handledAt = now();
      return new Response("ok");
    },
    nextAt,
    now,
  );
  const res = await handler(req());
  assert.equal(res.status, 200);
  assert.ok(handledAt >= first, "handled after the group due when it came");
  // Released after that group, far from the cap (one or two timer turns later under load).
  assert.ok(handledAt - t0 < GATE_MAX_WAIT_MS / 2, `waited ${(handledAt - t0).toFixed(1)} ms`);
});

Deno.test("gate: the runs never starting does not hold a request for more than the cap", async () => {
  const t0 = now();
  const stuck = t0 - 5; // due, never started
  const handler = gated(() => new Response("ok"), () => stuck, now);
  const res = await handler(req());
  const waited = now() - t0;
  assert.equal(res.status, 200);
  assert.ok(waited >= GATE_MAX_WAIT_MS && waited < GATE_MAX_WAIT_MS + 500, `waited ${waited} ms`);
});
