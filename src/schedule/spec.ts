/**
 * Schedule options as users write them, checked and normalised to the stored
 * {@link ScheduleRecord}, and the anchor persisted at first registration.
 *
 * @example
 * ```ts
 * import { anchorFor, toScheduleRecord } from "./spec.ts";
 * toScheduleRecord({ at: new Date(Date.UTC(2026, 11, 24, 18)) });
 * // { at: "2026-12-24T18:00:00.000Z" }
 * anchorFor({ after: "10s" }, 1_000); // 11_000
 * ```
 * @module
 */
import { ScheduleError } from "../errors.ts";
import type { ScheduleRecord } from "./types.ts";
import { cronSchedule } from "./cron.ts";
import { type Duration, parseDuration } from "./duration.ts";
import { validateTimezone } from "./timezone.ts";
import type { ScheduleKind, ScheduleSpec } from "./types.ts";

/**
 * Everything `kron.schedule()` accepts about timing (exactly one of cron, every, after, at).
 *
 * @example
 * ```ts
 * import type { ScheduleInput } from "./spec.ts";
 * const input: ScheduleInput = { cron: "0 3 * * *", timezone: "Europe/Rome" };
 * ```
 */
export interface ScheduleInput {
  /** Cron expression: 5 fields, 6 with seconds first, or a nickname such as `@hourly`. */
  cron?: string;
  /** IANA time zone for `cron` (default: the runtime's default, else the process's). */
  timezone?: string;
  /** Fixed interval, anchored (no drift): `"30s"`, `"1h30m"`, or ms. */
  every?: Duration;
  /** For `every`: the first run (default: one interval after registration). */
  startAt?: Date | string;
  /** One-shot, this long after first registration. */
  after?: Duration;
  /** One-shot at this time: a Date, epoch ms, or ISO 8601. */
  at?: Date | string | number;
}

const KINDS: readonly ScheduleKind[] = ["cron", "every", "after", "at"];

/**
 * Which of cron/every/after/at a spec or record uses; throws unless exactly one is present
 * (`undefined` and `null` count as absent).
 *
 * @example
 * ```ts
 * import { scheduleKind } from "./spec.ts";
 * scheduleKind({ every: "5m" }); // "every"
 * try { scheduleKind({ cron: "* * * * *", every: "5m" }); } catch (e) { console.log((e as Error).message); }
 * // schedule: exactly one of cron, every, after, at is required, not both cron and every
 * ```
 */
export function scheduleKind(spec: object): ScheduleKind {
  const given = KINDS.filter((k) => (spec as Record<string, unknown>)[k] != null);
  const required = "exactly one of cron, every, after, at is required";
  if (given.length === 1) return given[0];
  if (given.length === 0) throw new ScheduleError("schedule", required);
  const which = given.length === 2
    ? `not both ${given[0]} and ${given[1]}`
    : `not ${given.slice(0, -1).join(", ")} and ${given[given.length - 1]} together`;
  throw new ScheduleError("schedule", `${required}, ${which}`);
}

/**
 * Checks schedule options and returns the record to store: `at` and `startAt` become ISO UTC,
 * `timezone`/`startAt` null when not given, durations and the cron expression as written
 * (trimmed). Validates the cron syntax, the IANA time zone, `every` > 0, `after` ≥ 0, and dates.
 *
 * @example
 * ```ts
 * import { toScheduleRecord } from "./spec.ts";
 * toScheduleRecord({ cron: " 0 3 * * * " }); // { cron: "0 3 * * *", timezone: null }
 * toScheduleRecord({ every: "30m" }); // { every: "30m", startAt: null }
 * ```
 */
export function toScheduleRecord(opts: ScheduleInput): ScheduleRecord {
  const kind = scheduleKind(opts);
  if (opts.timezone != null && kind !== "cron") {
    throw new ScheduleError("timezone", `only applies to cron schedules, not ${kind}`);
  }
  if (opts.startAt != null && kind !== "every") {
    throw new ScheduleError("startAt", `only applies to every schedules, not ${kind}`);
  }
  switch (kind) {
    case "cron": {
      const timezone = opts.timezone == null ? null : validateTimezone(opts.timezone);
      if (typeof opts.cron !== "string") {
        throw new ScheduleError(
          "cron",
          `expected a string such as "0 * * * *", got ${typeof opts.cron}`,
        );
      }
      const cron = opts.cron.trim();
      cronSchedule(cron, timezone); // validates (and warms the shared cache)
      return { cron, timezone };
    }
    case "every": {
      intervalOf(opts.every!);
      const startAt = opts.startAt == null ? null : toIso(opts.startAt, "startAt");
      return { every: trimmed(opts.every!), startAt };
    }
    case "after":
      parseDuration(opts.after!, "after");
      return { after: trimmed(opts.after!) };
    case "at":
      return { at: toIso(opts.at!, "at") };
  }
}

/**
 * The anchor to persist at first registration: cron → `registeredAtMs`; every → `startAt`, else
 * one interval after registration; after → registration + delay; at → the `at` time.
 *
 * @example
 * ```ts
 * import { anchorFor } from "./spec.ts";
 * anchorFor({ every: "1m" }, 0); // 60_000
 * anchorFor({ every: "1m", startAt: "1970-01-01T00:00:05Z" }, 0); // 5_000
 * anchorFor({ cron: "* * * * *" }, 42); // 42
 * ```
 */
export function anchorFor(spec: ScheduleRecord | ScheduleSpec, registeredAtMs: number): number {
  const s = spec as ScheduleInput & { startAt?: Date | string | null };
  switch (scheduleKind(spec)) {
    case "cron":
      return registeredAtMs;
    case "every":
      return s.startAt != null
        ? toInstant(s.startAt, "startAt")
        : registeredAtMs + intervalOf(s.every!);
    case "after":
      return registeredAtMs + parseDuration(s.after!, "after");
    case "at":
      return toInstant(s.at!, "at");
  }
}

/**
 * An `every` interval in ms; throws unless it is a duration longer than 0.
 *
 * @example
 * ```ts
 * import { intervalOf } from "./spec.ts";
 * intervalOf("1h30m"); // 5_400_000
 * ```
 */
export function intervalOf(every: Duration, field = "every"): number {
  const ms = parseDuration(every, field);
  if (!(ms > 0)) {
    throw new ScheduleError(
      field,
      `${JSON.stringify(every)} is too short: it must be longer than 0`,
    );
  }
  // Occurrences are recorded to the millisecond (ISO times in the log): a fraction would make
  // the recorded cursor fall short of the occurrence, which then fires again, forever.
  if (!Number.isInteger(ms)) {
    throw new ScheduleError(
      field,
      `${JSON.stringify(every)} is not a whole number of milliseconds`,
    );
  }
  return ms;
}

// ISO 8601 date, optional time (T or space), optional fraction and zone. Without a zone a
// date-time is local time and a bare date is UTC midnight, as JavaScript's Date reads them.
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * A date given as a `Date`, epoch milliseconds or an ISO 8601 string, as epoch ms. Throws a
 * {@link ScheduleError} naming `field` for anything else, including impossible dates such as
 * `2026-02-30` (which `Date` would silently roll over to March 2).
 *
 * @example
 * ```ts
 * import { toInstant } from "./spec.ts";
 * toInstant("2026-01-01T00:00:00Z", "at"); // 1_767_225_600_000
 * toInstant(0, "at"); // 0
 * ```
 */
export function toInstant(value: Date | string | number, field: string): number {
  if (value instanceof Date) {
    const t = value.getTime();
    if (Number.isNaN(t)) throw new ScheduleError(field, "Invalid Date is not a date");
    return t;
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value) || Math.abs(value) > 8.64e15) {
      throw new ScheduleError(field, `${value} is not a date (epoch milliseconds)`);
    }
    return value;
  }
  const bad = () =>
    new ScheduleError(
      field,
      `${JSON.stringify(value)} is not a date (use ISO 8601, e.g. "2026-12-01T09:00:00Z")`,
    );
  if (typeof value !== "string") throw bad();
  const text = value.trim();
  const m = ISO.exec(text);
  if (!m) throw bad();
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > days || hour > 23 || minute > 59 || second > 59) {
    throw bad();
  }
  if (m[4] === undefined) return Date.UTC(year, month - 1, day);
  // Rebuild the text in the one form Date.parse must accept (3-digit fraction, zone as ±hh:mm).
  const pad = (n: number) => String(n).padStart(2, "0");
  const ms = (m[7] ?? "").padEnd(3, "0").slice(0, 3);
  const z = m[8];
  const zone = z === undefined
    ? ""
    : z.toUpperCase() === "Z"
    ? "Z"
    : `${z.slice(0, 3)}:${z.length > 3 ? z.slice(-2) : "00"}`;
  const t = Date.parse(
    `${m[1]}-${m[2]}-${m[3]}T${pad(hour)}:${pad(minute)}:${pad(second)}.${ms}${zone}`,
  );
  if (Number.isNaN(t)) throw bad();
  return t;
}

function toIso(value: Date | string | number, field: string): string {
  return new Date(toInstant(value, field)).toISOString();
}

function trimmed(value: Duration): Duration {
  return typeof value === "string" ? value.trim() : value;
}
