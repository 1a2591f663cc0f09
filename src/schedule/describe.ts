/**
 * Schedules in words, for `kron check`, status output and the dashboard.
 *
 * @example
 * ```ts
 * import { describeCron, describeEvery } from "./describe.ts";
 * describeCron("0 8 * * MON-FRI", "Europe/Rome"); // "At 08:00, Monday through Friday (Europe/Rome)"
 * describeEvery(1_800_000); // "every 30 minutes"
 * ```
 * @module
 */
import cronstrue from "cronstrue";
import { formatDuration } from "./duration.ts";

/**
 * A cron expression in words (cronstrue, 24-hour clock), with the time zone in parentheses when
 * one is set. Falls back to the expression itself where cronstrue cannot read croner syntax
 * (such as the `+` weekday prefix).
 *
 * @example
 * ```ts
 * import { describeCron } from "./describe.ts";
 * describeCron("*\/15 * * * *", null); // "Every 15 minutes"
 * describeCron("@daily", "UTC"); // "At 00:00 (UTC)"
 * ```
 */
export function describeCron(expression: string, timezone: string | null): string {
  // cronstrue doesn't know croner's "+" (day-of-month AND weekday): describe without it, say so.
  const fields = expression.split(" ");
  const and = fields.length >= 5 && fields[fields.length - 1].startsWith("+");
  if (and) fields[fields.length - 1] = fields[fields.length - 1].slice(1);
  let text: string;
  try {
    text = cronstrue.toString(fields.join(" "), { use24HourTimeFormat: true });
    if (and) text += " (only when both match)";
  } catch {
    text = `cron '${expression}'`;
  }
  return timezone ? `${text} (${timezone})` : text;
}

const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: "day",
  h: "hour",
  m: "minute",
  s: "second",
  ms: "millisecond",
};

/**
 * An interval in words: `"every minute"`, `"every 30 minutes"`, and the compact form when it
 * mixes units (`"every 1h30m"`).
 *
 * @example
 * ```ts
 * import { describeEvery } from "./describe.ts";
 * describeEvery(60_000); // "every minute"
 * describeEvery(5_400_000); // "every 1h30m"
 * ```
 */
export function describeEvery(intervalMs: number): string {
  const compact = formatDuration(intervalMs);
  const single = /^(\d+)(ms|s|m|h|d)$/.exec(compact);
  if (!single) return `every ${compact}`;
  const unit = UNIT_WORDS[single[2]];
  return single[1] === "1" ? `every ${unit}` : `every ${single[1]} ${unit}s`;
}

/**
 * A delayed one-shot in words.
 *
 * @example
 * ```ts
 * import { describeAfter } from "./describe.ts";
 * describeAfter(10_000); // "once, 10s after registration"
 * ```
 */
export function describeAfter(afterMs: number): string {
  return afterMs === 0
    ? "once, at registration"
    : `once, ${formatDuration(afterMs)} after registration`;
}

/**
 * A fixed-time one-shot in words.
 *
 * @example
 * ```ts
 * import { describeAt } from "./describe.ts";
 * describeAt(Date.UTC(2026, 11, 24, 18)); // "once at 2026-12-24T18:00:00.000Z"
 * ```
 */
export function describeAt(atMs: number): string {
  return `once at ${new Date(atMs).toISOString()}`;
}
