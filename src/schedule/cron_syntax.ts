/**
 * Cron syntax: checks an expression field by field and says exactly what is wrong and where
 * (`cron: 6th field 'foo' is not a weekday`). croner's own messages name neither the field nor,
 * for 5-field expressions, the right position, so this module walks the same grammar croner 11
 * accepts (default options: OR of day-of-month and weekday, no sloppy ranges, Sunday = 0 or 7)
 * and croner then parses the result again. A differential test keeps the two in step.
 *
 * Accepted: 5 fields (minute first) or 6 (second first); `*`, `?`, numbers, `a-b`, `*\/n`,
 * `a-b/n`, lists; names `JAN`–`DEC`, `SUN`–`SAT`; day-of-month `L`, `LW`, `15W`; weekday `5L`,
 * `FRI#2` (and lists of them), a leading `+` for "day-of-month AND weekday"; nicknames
 * `@yearly @annually @monthly @weekly @daily @midnight @hourly`.
 *
 * @example
 * ```ts
 * import { parseCronExpression } from "./cron_syntax.ts";
 * parseCronExpression("30 2 * * *").fixedTime; // true
 * parseCronExpression("@hourly").fields; // ["0", "0", "*", "*", "*", "*"]
 * ```
 * @module
 */
import { ScheduleError } from "../errors.ts";

type FieldKind = "second" | "minute" | "hour" | "day-of-month" | "month" | "weekday";

interface Field {
  readonly kind: FieldKind;
  /** "is not …" wording. */
  readonly noun: string;
  readonly min: number;
  readonly max: number;
  /** Number of slots croner keeps for the field; a step may not exceed it. */
  readonly size: number;
}

const FIELDS: readonly Field[] = [
  { kind: "second", noun: "a second", min: 0, max: 59, size: 60 },
  { kind: "minute", noun: "a minute", min: 0, max: 59, size: 60 },
  { kind: "hour", noun: "an hour", min: 0, max: 23, size: 24 },
  { kind: "day-of-month", noun: "a day of the month", min: 1, max: 31, size: 31 },
  { kind: "month", noun: "a month", min: 1, max: 12, size: 12 },
  { kind: "weekday", noun: "a weekday", min: 0, max: 7, size: 7 },
];

const NICKNAMES: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

// Order matters as in croner: "-sun" before "sun", so MON-SUN is 1-7 (Sunday at the end).
const MONTH_NAMES: readonly [string, string][] = [
  ["jan", "1"],
  ["feb", "2"],
  ["mar", "3"],
  ["apr", "4"],
  ["may", "5"],
  ["jun", "6"],
  ["jul", "7"],
  ["aug", "8"],
  ["sep", "9"],
  ["oct", "10"],
  ["nov", "11"],
  ["dec", "12"],
];
const DAY_NAMES: readonly [string, string][] = [
  ["-sun", "-7"],
  ["sun", "0"],
  ["mon", "1"],
  ["tue", "2"],
  ["wed", "3"],
  ["thu", "4"],
  ["fri", "5"],
  ["sat", "6"],
];

const ILLEGAL: Readonly<Record<FieldKind, RegExp>> = {
  second: /[^/*0-9,-]/,
  minute: /[^/*0-9,-]/,
  hour: /[^/*0-9,-]/,
  "day-of-month": /[^/*0-9,\-WwLl]/,
  month: /[^/*0-9,-]/,
  weekday: /[^/*0-9,\-#Ll]/,
};

const ORDINALS = ["1st", "2nd", "3rd", "4th", "5th", "6th"];

/**
 * A checked cron expression.
 *
 * @example
 * ```ts
 * import { parseCronExpression, type CronExpression } from "./cron_syntax.ts";
 * const e: CronExpression = parseCronExpression("*\/15 * * * *");
 * e.fixedTime; // false: a wildcard job follows real time across DST changes
 * ```
 */
export interface CronExpression {
  /** The expression as written, trimmed, runs of spaces collapsed (cronstrue reads this). */
  readonly source: string;
  /** Six fields, seconds first: nickname expanded, `?` read as `*`. croner parses these. */
  readonly fields: readonly string[];
  /**
   * Classic cron's "fixed-time" job: neither the minute nor the hour field starts with `*`.
   * Such a job runs once right after a spring-forward jump that skipped its time, and once (not
   * twice) in an hour repeated by fall-back. Other jobs follow real time.
   */
  readonly fixedTime: boolean;
}

/**
 * Checks a cron expression and classifies it; throws a {@link ScheduleError} on field `cron`
 * whose message names the field by position and the offending part.
 *
 * @example
 * ```ts
 * import { parseCronExpression } from "./cron_syntax.ts";
 * parseCronExpression("0 9 * * MON-FRI").fields; // ["0", "0", "9", "*", "*", "MON-FRI"]
 * try { parseCronExpression("61 * * * *"); } catch (e) { console.log((e as Error).message); }
 * // cron: 1st field '61' is out of range (0-59)
 * ```
 */
export function parseCronExpression(expression: string): CronExpression {
  if (typeof expression !== "string") {
    throw new ScheduleError(
      "cron",
      `expected a string such as "0 * * * *", got ${typeof expression}`,
    );
  }
  const source = expression.trim().split(/\s+/).join(" ");
  let text = source;
  if (text.startsWith("@")) {
    const lower = text.toLowerCase();
    if (lower === "@reboot") {
      throw new ScheduleError("cron", "@reboot is not supported (kron has no boot-time trigger)");
    }
    const expanded = NICKNAMES[lower];
    if (expanded === undefined && !text.includes(" ")) {
      throw new ScheduleError(
        "cron",
        `unknown nickname '${text}' (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)`,
      );
    }
    if (expanded !== undefined) text = expanded;
  }
  const tokens = text === "" ? [] : text.split(" ");
  if (tokens.length !== 5 && tokens.length !== 6) {
    const hint = tokens.length === 7 ? " (a year field is not supported)" : "";
    throw new ScheduleError("cron", `expected 5 or 6 fields, got ${tokens.length}${hint}`);
  }
  // Five fields have no seconds: croner reads them as second 0.
  const shift = tokens.length === 5 ? 1 : 0;
  const fields = tokens.length === 5 ? ["0", ...tokens] : [...tokens];
  for (let i = 0; i < 6; i++) {
    fields[i] = fields[i].replace(/\?/g, "*");
    if (i < shift) continue;
    checkField(FIELDS[i], tokens[i - shift], fields[i], ORDINALS[i - shift]);
  }
  const fixedTime = !fields[1].startsWith("*") && !fields[2].startsWith("*");
  return { source, fields, fixedTime };
}

function checkField(field: Field, written: string, value: string, ordinal: string): void {
  const fail = (part: string, problem: string) =>
    new ScheduleError("cron", `${ordinal} field '${part}' ${problem}`);
  let text = value;
  if (field.kind === "day-of-month") {
    const upper = text.toUpperCase();
    if (upper === "LW") return;
    if (upper.includes("L")) {
      const items = text.split(",");
      if (items.length > 1 && items.some((item) => item.toUpperCase() === "LW")) {
        throw fail(written, "cannot list LW (last weekday of the month): it stands alone");
      }
      for (const item of items) {
        if (item === "") throw fail(written, "has an empty list item");
        if (item.toUpperCase() !== "L" && /l/i.test(item)) {
          throw fail(
            item,
            "is not a day of the month (L, the last day, stands alone: 'L' or '1,L')",
          );
        }
      }
      text = items.filter((item) => item.toUpperCase() !== "L").join(",");
      if (text === "") return;
    }
  }
  if (field.kind === "weekday" && text.startsWith("+")) {
    // croner: a leading + means day-of-month AND weekday must both match.
    text = text.slice(1);
    if (text === "") throw fail(written, "is not a weekday ('+' must be followed by weekdays)");
  }
  if (text === "*") return;
  const names = field.kind === "month" ? MONTH_NAMES : field.kind === "weekday" ? DAY_NAMES : null;
  for (const item of text.split(",")) {
    if (item === "") throw fail(written, "has an empty list item");
    const plain = names
      ? replaceNames(item, names, () => fail(item, `is not ${field.noun}`))
      : item;
    if (ILLEGAL[field.kind].test(plain)) throw fail(item, `is not ${field.noun}`);
    checkItem(field, item, plain, fail);
  }
}

/** Replaces month or day names by numbers; a name must stand alone, as croner requires. */
function replaceNames(
  item: string,
  names: readonly [string, string][],
  fail: () => ScheduleError,
): string {
  let out = item;
  for (const [name, number] of names) {
    out = out.replace(new RegExp(name, "gi"), (match: string, at: number, whole: string) => {
      const start = at + match.length - 3;
      const before = whole.charAt(start - 1);
      const after = whole.charAt(start + 3);
      // A name may be followed by L (FRIL = last Friday), never glued to letters or digits.
      if (/[a-z\d/#]/i.test(before) || /[a-km-z\d]/i.test(after)) throw fail();
      return number;
    });
  }
  return out;
}

function checkItem(
  field: Field,
  item: string,
  plain: string,
  fail: (part: string, problem: string) => ScheduleError,
): void {
  if (plain === "*") return;
  const notA = () => fail(item, `is not ${field.noun}`);
  const inRange = (n: number) => {
    if (n < field.min || n > field.max) {
      throw fail(item, `is out of range (${field.min}-${field.max})`);
    }
  };
  const upper = plain.toUpperCase();
  const hasW = upper.includes("W");
  const [base, nth] = splitNth(field, item, plain, fail);
  const checkNth = () => {
    if (nth === undefined) return;
    const n = Number(nth);
    if (nth.toUpperCase() !== "L" && !(n > 0 && n < 6)) {
      throw fail(item, "has an nth weekday out of range (use #1 to #5, or L for the last)");
    }
  };
  const noW = () => {
    if (hasW) {
      throw fail(item, "is not a day of the month (W, nearest weekday, takes one day: '15W')");
    }
  };

  if (plain.includes("-") && plain.includes("/")) {
    noW();
    const m = /^(\d+)-(\d+)\/(\d+)$/.exec(base);
    if (!m) throw notA();
    const [lo, hi, step] = [Number(m[1]), Number(m[2]), Number(m[3])];
    checkOrder(lo, hi, item, fail);
    checkStep(step, field, item, fail);
    for (let v = lo; v <= hi; v += step) inRange(v);
    checkNth();
  } else if (plain.includes("-")) {
    noW();
    const parts = base.split("-");
    if (parts.length !== 2) throw notA();
    const [lo, hi] = [toNumber(parts[0]), toNumber(parts[1])];
    if (Number.isNaN(lo) || Number.isNaN(hi)) throw notA();
    checkOrder(lo, hi, item, fail);
    inRange(lo);
    inRange(hi);
    checkNth();
  } else if (plain.includes("/")) {
    noW();
    const parts = base.split("/");
    if (parts.length !== 2) throw notA();
    if (parts[0] !== "*") {
      const start = parts[0] === "" ? "a start" : `'*' or a range before '/'`;
      throw fail(
        item,
        `needs ${start} (write '*/${parts[1]}' or '${parts[0] || field.min}-${field.max}/${
          parts[1]
        }')`,
      );
    }
    const step = toNumber(parts[1]);
    if (Number.isNaN(step)) throw notA();
    checkStep(step, field, item, fail);
    checkNth();
  } else {
    if (hasW && field.kind !== "day-of-month") throw notA();
    const n = toNumber(hasW ? base.replace(/W$/i, "") : base);
    if (Number.isNaN(n)) throw notA();
    inRange(n);
    checkNth();
  }
}

/** Splits `FRI#2` / `5L` (weekday only) into the value part and the nth part. */
function splitNth(
  field: Field,
  item: string,
  plain: string,
  fail: (part: string, problem: string) => ScheduleError,
): [string, string | undefined] {
  if (plain.includes("#")) {
    const parts = plain.split("#");
    if (parts.length !== 2 || parts[1] === "") {
      throw fail(item, "is not a weekday (the nth weekday is written FRI#2)");
    }
    return [parts[0], parts[1]];
  }
  if (plain.toUpperCase().endsWith("L")) {
    if (field.kind !== "weekday") throw fail(item, `is not ${field.noun}`);
    return [plain.slice(0, -1), "L"];
  }
  return [plain, undefined];
}

function checkOrder(
  lo: number,
  hi: number,
  item: string,
  fail: (part: string, problem: string) => ScheduleError,
): void {
  if (lo > hi) throw fail(item, `is a backwards range (${lo} > ${hi})`);
}

function checkStep(
  step: number,
  field: Field,
  item: string,
  fail: (part: string, problem: string) => ScheduleError,
): void {
  if (step === 0) throw fail(item, "has a step of 0");
  if (step > field.size) throw fail(item, `has a step larger than ${field.size}`);
}

function toNumber(text: string): number {
  return /^\d+$/.test(text) ? parseInt(text, 10) : NaN;
}
