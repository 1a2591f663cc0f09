// The load case's alternating windows: when clients run, which side an occurrence counts for.
import assert from "node:assert/strict";
import { Phases } from "../../scripts/torture/load.ts";

Deno.test("load phases: clients in every other window, occurrences counted after the settle", () => {
  const p = new Phases(1_000, 15_000, 4, false); // off [1s,16s) on [16s,31s) off on [46s,61s)
  assert.equal(p.end, 61_000);
  assert.equal(p.waitForOn(0), 16_000);
  assert.equal(p.waitForOn(1_000), 15_000);
  assert.equal(p.waitForOn(20_000), 0);
  assert.equal(p.waitForOn(31_000), 15_000);
  assert.equal(p.waitForOn(60_999), 0);
  assert.equal(p.waitForOn(61_000), Infinity);
  assert.equal(p.side(500), null);
  assert.equal(p.side(1_500), null); // settling
  assert.equal(p.side(2_000), "off");
  assert.equal(p.side(17_000), "on");
  assert.equal(p.side(31_999), null);
  assert.equal(p.side(40_000), "off");
  assert.equal(p.side(60_000), "on");
  assert.equal(p.side(61_000), null);
  const quick = new Phases(0, 15_000, 1, true);
  assert.equal(quick.waitForOn(0), 0);
  assert.equal(quick.side(5_000), "on");
  assert.equal(quick.waitForOn(15_000), Infinity);
});

Deno.test("load phases: handed to a process of its own as arguments, read back the same", () => {
  const p = new Phases(1_000, 15_000, 12, true);
  const back = Phases.fromArgs(p.toArgs());
  assert.deepEqual([back.start, back.windowMs, back.count, back.firstOn], [
    1_000,
    15_000,
    12,
    true,
  ]);
  const off = Phases.fromArgs(new Phases(5, 10, 2, false).toArgs());
  assert.equal(off.firstOn, false);
});
