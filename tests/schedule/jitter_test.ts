import assert from "node:assert/strict";
import { jitterDelay } from "../../src/schedule/mod.ts";

Deno.test("jitter: a whole number of ms in [0, max)", () => {
  assert.equal(jitterDelay(1000, () => 0), 0);
  assert.equal(jitterDelay(1000, () => 0.5), 500);
  assert.equal(jitterDelay(1000, () => 0.9999999999), 999);
  assert.equal(jitterDelay(30_000, () => 0.25), 7_500);
  // A misbehaving source never escapes the range.
  assert.equal(jitterDelay(1000, () => 1), 0);
  assert.equal(jitterDelay(1000, () => -3), 0);
  assert.equal(jitterDelay(0.5, () => 0.99), 0);
  assert.equal(jitterDelay(10.5, () => 0.99), 10);
});

Deno.test("jitter: no jitter gives no delay", () => {
  assert.equal(jitterDelay(0), 0);
  assert.equal(jitterDelay(-5), 0);
  assert.equal(jitterDelay(NaN), 0);
});

Deno.test("jitter: Math.random by default, always in range", () => {
  for (let i = 0; i < 10_000; i++) {
    const d = jitterDelay(37);
    assert.ok(Number.isInteger(d) && d >= 0 && d < 37, String(d));
  }
});
