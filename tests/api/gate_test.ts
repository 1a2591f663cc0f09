// Requests step aside just before occurrences are due (src/api/_gate.ts).
import assert from "node:assert/strict";
import { GATE_MAX_WAIT_MS, GATE_MS, gated } from "../../src/api/_gate.ts";

const req = () => new Request("http://localhost/healthz");

Deno.test("gate: with nothing due soon a request is handled at once (no promise in between)", () => {
  let calls = 0;
  const handler = gated(() => {
    calls++;
    return new Response("ok");
  }, () => GATE_MS + 1);
  const res = handler(req());
  assert.ok(res instanceof Response);
  assert.equal(calls, 1);
});

Deno.test("gate: a request in the last GATE_MS before a due time is handled after it", async () => {
  const dueAt = performance.now() + GATE_MS / 2;
  let handledAt = 0;
  const handler = gated(() => {
    handledAt = performance.now();
    return new Response("ok");
  }, () => {
    // The runs start on the dot: then nothing more is due.
    const left = dueAt - performance.now();
    return left > 0 ? left : Infinity;
  });
  const t0 = performance.now();
  const res = await handler(req());
  assert.equal(res.status, 200);
  assert.ok(handledAt >= dueAt, `handled ${(dueAt - handledAt).toFixed(1)} ms before it was due`);
  assert.ok(performance.now() - t0 < GATE_MAX_WAIT_MS, "released once they started");
});

Deno.test("gate: the runs never starting does not hold a request for more than the cap", async () => {
  const t0 = performance.now();
  const handler = gated(() => new Response("ok"), () => -5); // due, never started
  const res = await handler(req());
  const waited = performance.now() - t0;
  assert.equal(res.status, 200);
  assert.ok(waited >= GATE_MAX_WAIT_MS && waited < GATE_MAX_WAIT_MS + 500, `waited ${waited} ms`);
});
