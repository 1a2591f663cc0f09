import assert from "node:assert/strict";
import { anchorFor, compileSchedule, nextRuns } from "../../src/schedule/mod.ts";

const ms = (iso: string) => Date.parse(iso);
const iso = (t: number | null) => t === null ? null : new Date(t).toISOString();

Deno.test("every: first run is the anchor, one interval after registration by default", () => {
  const registered = ms("2026-01-01T10:00:00Z");
  const anchor = anchorFor({ every: "30m" }, registered);
  assert.equal(iso(anchor), "2026-01-01T10:30:00.000Z");
  const s = compileSchedule({ every: "30m" });
  assert.equal(s.kind, "every");
  assert.equal(s.next(null, anchor), anchor);
  assert.equal(s.next(registered, anchor), anchor);
});

Deno.test("every: startAt is the anchor", () => {
  assert.equal(
    iso(anchorFor({ every: "1h", startAt: "2026-01-01T00:05:00Z" }, ms("2026-03-01T00:00:00Z"))),
    "2026-01-01T00:05:00.000Z",
  );
  assert.equal(
    iso(anchorFor({ every: "1h", startAt: new Date("2026-01-01T00:05:00Z") }, 0)),
    "2026-01-01T00:05:00.000Z",
  );
  assert.equal(iso(anchorFor({ every: "1h", startAt: null }, 0)), "1970-01-01T01:00:00.000Z");
});

Deno.test("every: anchored, no drift — a late run does not move the next one", () => {
  const s = compileSchedule({ every: "5m" });
  const anchor = ms("2026-01-01T00:00:00Z");
  // The run due at 00:05 finished at 00:07:42: the next is still 00:10.
  assert.equal(iso(s.next(ms("2026-01-01T00:05:00Z"), anchor)), "2026-01-01T00:10:00.000Z");
  assert.equal(iso(s.next(ms("2026-01-01T00:07:42Z"), anchor)), "2026-01-01T00:10:00.000Z");
  assert.equal(iso(s.next(ms("2026-01-01T00:09:59.999Z"), anchor)), "2026-01-01T00:10:00.000Z");
  // A million intervals later it is still on the grid.
  const far = anchor + 1_000_000 * 300_000 + 1;
  assert.equal((s.next(far, anchor)! - anchor) % 300_000, 0);
  assert.equal(s.next(far, anchor), anchor + 1_000_001 * 300_000);
});

Deno.test("every: supports ms, s, m, h, d and compound durations", () => {
  const from = new Date("2026-01-01T00:00:00Z");
  const cases: [string | number, number][] = [
    ["250ms", 250],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1d", 86_400_000],
    [1500, 1500],
  ];
  for (const [every, step] of cases) {
    const times = nextRuns({ every }, from, 3).map((d) => d.getTime() - from.getTime());
    assert.deepEqual(times, [step, 2 * step, 3 * step], String(every));
  }
});

Deno.test("every: latest() is arithmetic, even for 1s after a 30-day outage", () => {
  const s = compileSchedule({ every: "1s" });
  const anchor = ms("2026-01-01T00:00:00Z");
  const at = anchor + 30 * 86_400_000 + 1_500;
  assert.equal(s.latest(at, anchor, anchor), anchor + 30 * 86_400_000 + 1_000);
  assert.equal(s.latest(at, at - 400, anchor), null); // (at-0.4s, at] holds no whole second
  assert.equal(s.latest(anchor - 1, anchor - 10_000, anchor), null); // before the anchor
  assert.equal(s.latest(anchor, anchor - 1, anchor), anchor); // the anchor itself counts
  const hourly = compileSchedule({ every: "1h" });
  assert.equal(
    hourly.latest(anchor + 3 * 3_600_000, anchor + 3 * 3_600_000 - 1, anchor),
    anchor + 3 * 3_600_000,
  );
});

Deno.test("every: latest() agrees with iterating next()", () => {
  let seed = 5;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  for (const every of ["250ms", "7s", "5m", "1h30m"]) {
    const s = compileSchedule({ every });
    const anchor = 1_000_000;
    for (let i = 0; i < 300; i++) {
      const since = anchor + Math.floor((random() - 0.2) * 20_000_000);
      const at = since + Math.floor(random() * 20_000_000);
      let expected: number | null = null;
      for (let t = s.next(since, anchor); t !== null && t <= at; t = s.next(t, anchor)) {
        if (t > since) expected = t;
      }
      assert.equal(s.latest(at, since, anchor), expected, `${every} (${since}, ${at}]`);
    }
  }
});

Deno.test("every: jobs with the same interval share one compiled schedule", () => {
  assert.equal(compileSchedule({ every: "30m" }), compileSchedule({ every: 1_800_000 }));
});
