import assert from "node:assert/strict";
import { CronPattern } from "croner";
import { parseCronExpression } from "../../src/schedule/cron_syntax.ts";
import { ScheduleError } from "../../src/schedule/mod.ts";

function message(expression: string): string {
  try {
    parseCronExpression(expression);
  } catch (e) {
    assert.ok(e instanceof ScheduleError, `not a ScheduleError: ${e}`);
    assert.equal(e.field, "cron");
    return e.message;
  }
  assert.fail(`'${expression}' was accepted`);
}

Deno.test("cron syntax: accepts everything croner documents", () => {
  const accepted = [
    "* * * * *",
    "*/5 * * * *",
    "0 */2 * * *",
    "0-30/10 8-18 * * 1-5",
    "5,10,15 1,2,3 * * *",
    "0 0 1,15 * *",
    "0 12 * JAN,jul *",
    "0 12 * JAN-MAR *",
    "0 9 * * MON-FRI",
    "0 9 * * mon,wed,FRI",
    "0 9 * * SUN",
    "0 9 * * 7",
    "0 9 * * 0-7",
    "0 9 * * MON-SUN",
    "0 9 ? * MON",
    "0 9 1 * ?",
    "0 0 L * *",
    "0 0 1,15,L * *",
    "0 0 LW * *",
    "0 0 15W * *",
    "0 0 1w * *",
    "0 0 * * 5L",
    "0 0 * * FRIL",
    "0 0 * * 5#2",
    "0 0 * * FRI#2",
    "0 0 * * MON#1,FRI#2",
    "0 0 * * 5#L",
    "0 0 13 * +FRI",
    "0 0 13 * FRI",
    "*/10 * * * * *",
    "30 0 9 * * *",
    "0 30 2 * * *",
    "0-59/15 * * * * *",
    "0 0 1-31/2 * *",
    "0 0 * */3 *",
    "0 0 * * */2",
    "0 * * * *",
    "  0   8  *  *  *  ",
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
    "@DAILY",
  ];
  for (const e of accepted) parseCronExpression(e);
});

Deno.test("cron syntax: error messages name the field and the bad part", () => {
  const cases: [string, string][] = [
    ["* * *", "cron: expected 5 or 6 fields, got 3"],
    ["", "cron: expected 5 or 6 fields, got 0"],
    ["0 0 0 1 1 * 2026", "cron: expected 5 or 6 fields, got 7 (a year field is not supported)"],
    ["0 0 * * * foo", "cron: 6th field 'foo' is not a weekday"],
    ["0 0 * * foo", "cron: 5th field 'foo' is not a weekday"],
    ["0 61 * * * *", "cron: 2nd field '61' is out of range (0-59)"],
    ["61 * * * *", "cron: 1st field '61' is out of range (0-59)"],
    ["61 * * * * *", "cron: 1st field '61' is out of range (0-59)"],
    ["0 24 * * *", "cron: 2nd field '24' is out of range (0-23)"],
    ["0 0 0 * *", "cron: 3rd field '0' is out of range (1-31)"],
    ["0 0 32 * *", "cron: 3rd field '32' is out of range (1-31)"],
    ["0 0 * 13 *", "cron: 4th field '13' is out of range (1-12)"],
    ["0 0 * * 8", "cron: 5th field '8' is out of range (0-7)"],
    ["0 0 0 * * 8", "cron: 6th field '8' is out of range (0-7)"],
    ["x * * * *", "cron: 1st field 'x' is not a minute"],
    ["0 x * * * *", "cron: 2nd field 'x' is not a minute"],
    ["x * * * * *", "cron: 1st field 'x' is not a second"],
    ["0 x * * *", "cron: 2nd field 'x' is not an hour"],
    ["0 0 x * *", "cron: 3rd field 'x' is not a day of the month"],
    ["0 0 * x *", "cron: 4th field 'x' is not a month"],
    ["0 0 * MON *", "cron: 4th field 'MON' is not a month"],
    ["0 0 * JANUARY *", "cron: 4th field 'JANUARY' is not a month"],
    ["0 0 * * MONDAY", "cron: 5th field 'MONDAY' is not a weekday"],
    ["0 0 * * JAN", "cron: 5th field 'JAN' is not a weekday"],
    ["1,,2 * * * *", "cron: 1st field '1,,2' has an empty list item"],
    ["5,61 * * * *", "cron: 1st field '61' is out of range (0-59)"],
    ["30-10 * * * *", "cron: 1st field '30-10' is a backwards range (30 > 10)"],
    ["0-60 * * * *", "cron: 1st field '0-60' is out of range (0-59)"],
    ["*/0 * * * *", "cron: 1st field '*/0' has a step of 0"],
    ["*/61 * * * *", "cron: 1st field '*/61' has a step larger than 60"],
    ["0 */25 * * *", "cron: 2nd field '*/25' has a step larger than 24"],
    [
      "5/15 * * * *",
      "cron: 1st field '5/15' needs '*' or a range before '/' (write '*/15' or '5-59/15')",
    ],
    ["/15 * * * *", "cron: 1st field '/15' needs a start (write '*/15' or '0-59/15')"],
    ["1-2-3 * * * *", "cron: 1st field '1-2-3' is not a minute"],
    [
      "0 0 15L * *",
      "cron: 3rd field '15L' is not a day of the month (L, the last day, stands alone: 'L' or '1,L')",
    ],
    [
      "0 0 LW,1 * *",
      "cron: 3rd field 'LW,1' cannot list LW (last weekday of the month): it stands alone",
    ],
    [
      "0 0 1-5W * *",
      "cron: 3rd field '1-5W' is not a day of the month (W, nearest weekday, takes one day: '15W')",
    ],
    ["0 0 W * *", "cron: 3rd field 'W' is not a day of the month"],
    ["0 0 32W * *", "cron: 3rd field '32W' is out of range (1-31)"],
    [
      "0 0 * * 5#6",
      "cron: 5th field '5#6' has an nth weekday out of range (use #1 to #5, or L for the last)",
    ],
    [
      "0 0 * * 5#0",
      "cron: 5th field '5#0' has an nth weekday out of range (use #1 to #5, or L for the last)",
    ],
    ["0 0 * * 5#", "cron: 5th field '5#' is not a weekday (the nth weekday is written FRI#2)"],
    ["0 0 * * L", "cron: 5th field 'L' is not a weekday"],
    ["0 0 * * +", "cron: 5th field '+' is not a weekday ('+' must be followed by weekdays)"],
    ["0 0 5#2 * *", "cron: 3rd field '5#2' is not a day of the month"],
    ["0 0 * 1L *", "cron: 4th field '1L' is not a month"],
    ["5W * * * *", "cron: 1st field '5W' is not a minute"],
    ["0 0 * * 15W", "cron: 5th field '15W' is not a weekday"],
    [
      "@fortnightly",
      "cron: unknown nickname '@fortnightly' (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)",
    ],
    ["@reboot", "cron: @reboot is not supported (kron has no boot-time trigger)"],
  ];
  for (const [expression, expected] of cases) {
    assert.equal(message(expression), expected, `for '${expression}'`);
  }
});

Deno.test("cron syntax: 5 fields start at the minute, 6 at the second", () => {
  assert.deepEqual(parseCronExpression("1 2 3 4 5").fields, ["0", "1", "2", "3", "4", "5"]);
  assert.deepEqual(parseCronExpression("0 1 2 3 4 5").fields, ["0", "1", "2", "3", "4", "5"]);
  assert.deepEqual(parseCronExpression("@weekly").fields, ["0", "0", "0", "*", "*", "0"]);
  assert.deepEqual(parseCronExpression("0 9 ? * MON").fields, ["0", "0", "9", "*", "*", "MON"]);
  assert.equal(parseCronExpression("  0   8 * * * ").source, "0 8 * * *");
});

Deno.test("cron syntax: fixed-time vs wildcard jobs, as classic cron classifies them", () => {
  const fixed = [
    "30 2 * * *",
    "0 2,14 * * *",
    "0-30/10 2 * * *",
    "0 1-3 * * *",
    "*/10 30 2 * * *",
    "@daily",
    "@weekly",
  ];
  const wildcard = [
    "*/15 * * * *",
    "30 * * * *",
    "* 2 * * *",
    "0 */2 * * *",
    "@hourly",
    "? 2 * * *",
  ];
  for (const e of fixed) assert.equal(parseCronExpression(e).fixedTime, true, e);
  for (const e of wildcard) assert.equal(parseCronExpression(e).fixedTime, false, e);
});

// A deterministic PRNG so the fuzz is reproducible.
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("cron syntax: accepts exactly what croner accepts (differential fuzz)", () => {
  const random = mulberry32(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const atoms = [
    "*",
    "?",
    "0",
    "1",
    "5",
    "7",
    "12",
    "15",
    "23",
    "24",
    "29",
    "31",
    "32",
    "59",
    "60",
    "99",
    "L",
    "W",
    "LW",
    "#",
    "-",
    "/",
    ",",
    "+",
    "JAN",
    "dec",
    "MON",
    "fri",
    "SUN",
    "x",
    "",
  ];
  const field = (): string => {
    let s = "";
    const n = 1 + Math.floor(random() * 4);
    for (let i = 0; i < n; i++) s += pick(atoms);
    return s === "" ? "*" : s;
  };
  let agreed = 0;
  let accepted = 0;
  for (let i = 0; i < 40_000; i++) {
    const count = random() < 0.5 ? 5 : 6;
    const fields = Array.from({ length: count }, () => random() < 0.5 ? "*" : field());
    const expression = fields.join(" ");
    let ours = true;
    try {
      parseCronExpression(expression);
    } catch (e) {
      assert.ok(e instanceof ScheduleError, `${expression}: ${e}`);
      ours = false;
    }
    let theirs = true;
    try {
      new CronPattern(expression, undefined, { mode: "5-or-6-parts" });
    } catch {
      theirs = false;
    }
    assert.equal(ours, theirs, `disagree on '${expression}': ours ${ours}, croner ${theirs}`);
    agreed++;
    if (ours) accepted++;
  }
  assert.equal(agreed, 40_000);
  assert.ok(accepted > 1000, `only ${accepted} accepted: the fuzz is too narrow`);
});
