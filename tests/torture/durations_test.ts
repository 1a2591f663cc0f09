// Regressions (torture hostile_input):
// - `every` of a fractional number of ms (0.5, 1000.5; a number in jobs.ts) was accepted, but
//   occurrences are recorded to the millisecond, so the recorded cursor fell short of the
//   occurrence and the engine fired it again forever in one synchronous loop (a hang).
// - a duration error echoed the input raw: a value with a newline made a multi-line message
//   (log lines could be forged), and a BigInt or circular value threw a TypeError instead of
//   the documented error; a number of ms beyond the span of Date was accepted.
import assert from "node:assert/strict";
import { compileSchedule, parseDuration } from "../../src/schedule/mod.ts";
import { Engine } from "../../src/engine/engine.ts";
import { FakeClock } from "../../src/engine/clock.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { KronError } from "../../src/errors.ts";

const isKronError = (e: unknown) => e instanceof KronError && !e.message.includes("\n");

Deno.test("every: a fractional number of milliseconds is refused", () => {
  for (const every of [0.5, 1000.5, 1e-3]) {
    assert.throws(() => compileSchedule({ every }), /whole number of milliseconds/);
  }
  const engine = new Engine({ store: new MemoryStore(), clock: new FakeClock(0) });
  assert.throws(() => engine.define("j", { every: 0.5 }, () => {}), KronError);
  assert.equal(compileSchedule({ every: "1.5s" }).next(null, 0), 0); // 1500 ms is whole
});

Deno.test("every: 1 ms still schedules without looping", async () => {
  const clock = new FakeClock(0);
  const engine = new Engine({ store: new MemoryStore(), clock });
  let runs = 0;
  engine.define("j", { every: 1 }, () => void runs++);
  await engine.start();
  await clock.advance(20);
  await engine.shutdown({ timeout: 0 });
  assert.ok(runs >= 15 && runs <= 21, `${runs} runs`);
});

Deno.test("duration errors are one line and typed, whatever the input", () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  for (
    const bad of ["1\nfake", "a\r\nb", "x".repeat(10_000), 10n, circular, Symbol("s"), [1], 1e300]
  ) {
    assert.throws(() => parseDuration(bad as never, "every"), isKronError, String(typeof bad));
  }
  assert.throws(
    () => parseDuration("1\nfake log line", "every"),
    /"1\\nfake log line" is not a duration/,
  );
});

Deno.test("a duration that would put a run beyond the span of Date is refused, not a crash", async () => {
  for (const every of [8.64e15, "99999999d", 4e14]) {
    assert.throws(() => parseDuration(every, "every"), /too long/);
  }
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const engine = new Engine({ store: new MemoryStore(), clock });
  assert.throws(() => engine.define("j", { after: 8.64e15 }, () => {}), KronError);
  engine.define("ok", { after: "9999w", jitter: "1000w" }, () => {});
  await engine.start();
  await clock.advance(1000);
  await engine.shutdown({ timeout: 0 });
});

Deno.test("a bad time zone with control characters is reported on one line", () => {
  assert.throws(
    () => compileSchedule({ cron: "0 2 * * *", timezone: "Mars\r\nBase" }),
    (e) => isKronError(e) && /"Mars\\r\\nBase" is not an IANA time zone/.test((e as Error).message),
  );
  assert.throws(
    () => compileSchedule({ cron: "0 2 * * *", timezone: "Mars/Base" }),
    /'Mars\/Base' is not/,
  );
});
