import assert from "node:assert/strict";
import { SIGNAL_WINDOW_MS, signalGate } from "../../src/cli/signals.ts";

Deno.test("signalGate: copies within 500 ms of the first are one request, a later one forces", () => {
  let t = 1000;
  const gate = signalGate(SIGNAL_WINDOW_MS, () => t);
  assert.equal(gate("SIGINT"), "stop");
  t += 0.6; // npx's forwarded copy
  assert.equal(gate("SIGINT"), "ignore");
  t += 2; // deno task's
  assert.equal(gate("SIGINT"), "ignore");
  t = 1000 + 499;
  assert.equal(gate("SIGTERM"), "ignore"); // the group's SIGTERM beside it: the same request
  t = 1000 + 500;
  assert.equal(gate("SIGINT"), "force"); // a person pressing Ctrl-C again
  assert.equal(gate("SIGINT"), "force");
});

Deno.test("signalGate: the window counts from the first signal, not the latest copy", () => {
  let t = 0;
  const gate = signalGate(500, () => t);
  assert.equal(gate("SIGTERM"), "stop");
  for (t = 100; t < 500; t += 100) assert.equal(gate("SIGTERM"), "ignore");
  t = 600;
  assert.equal(gate("SIGTERM"), "force");
});
