/**
 * Durations as people write them in job files: `"250ms"`, `"30s"`, `"5m"`, `"1h30m"`, `"1d"`.
 *
 * @example
 * ```ts
 * import { parseDuration, formatDuration } from "./duration.ts";
 * parseDuration("1h30m"); // 5_400_000
 * formatDuration(5_400_000); // "1h30m"
 * ```
 * @module
 */
import { ScheduleError } from "../errors.ts";

/** A duration: a string such as `"5m"` or a number of milliseconds. */
export type Duration = string | number;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

/**
 * Parses a duration into milliseconds. Numbers are taken as milliseconds. Throws a
 * {@link ScheduleError} naming `field` when the text is not a duration.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("250ms"); // 250
 * parseDuration("1d"); // 86_400_000
 * parseDuration(1500); // 1500
 * ```
 */
export function parseDuration(value: Duration, field = "duration"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new ScheduleError(field, `${value} is not a duration (a number of ms ≥ 0)`);
    }
    if (value > MAX_MS) throw new ScheduleError(field, `${value} is too long`);
    return value;
  }
  if (typeof value !== "string") {
    throw new ScheduleError(field, `${quote(value)} is not a duration (try "30m")`);
  }
  const text = value.trim();
  if (text === "" || text === "0") {
    if (text === "0") return 0;
    throw new ScheduleError(field, `"" is not a duration (try "30m")`);
  }
  let total = 0;
  PART.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    PART.lastIndex = at;
    const m = PART.exec(text);
    if (!m) throw new ScheduleError(field, `${quote(value)} is not a duration (${hint(text)})`);
    total += Number(m[1]) * UNIT_MS[m[2]];
    at = PART.lastIndex;
  }
  if (!Number.isFinite(total) || total > MAX_MS) {
    throw new ScheduleError(field, `${quote(value)} is too long`);
  }
  return Math.round(total);
}

/**
 * 10,000 years: plenty for any schedule, policy or grace, and far enough inside the span of
 * `Date` (±8.64e15 ms) that now + a duration (+ jitter, + a retry) is always a date.
 */
const MAX_MS = 10_000 * 365.25 * 86_400_000;

/**
 * A value as it may appear in a one-line message: strings JSON-quoted (control characters
 * escaped, so input cannot forge log lines) and shortened; other types by name.
 */
function quote(value: unknown): string {
  if (typeof value === "string") {
    const q = JSON.stringify(value);
    return q.length > 60 ? `${q.slice(0, 57)}…"` : q;
  }
  if (value === null || typeof value === "boolean") return String(value);
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

function hint(text: string): string {
  const digits = text.match(/^\d+/);
  return digits
    ? `try "${digits[0]}m"; units are ms, s, m, h, d, w`
    : `try "30m"; units are ms, s, m, h, d, w`;
}

/**
 * Formats milliseconds compactly, largest units first (`5400000` → `"1h30m"`).
 *
 * @example
 * ```ts
 * import { formatDuration } from "./duration.ts";
 * formatDuration(250); // "250ms"
 * formatDuration(90_000); // "1m30s"
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms);
  let out = "";
  for (
    const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const
  ) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}
