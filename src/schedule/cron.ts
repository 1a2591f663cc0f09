/**
 * Cron schedules: which instants a cron expression fires at in a time zone, with classic cron's
 * (cronie/Vixie) daylight-saving rules.
 *
 * croner does the pattern matching, on a wall clock with no time zone (its numeric-offset mode,
 * offset 0): it answers "the next local date-time after this one that matches". This module maps
 * local date-times to instants with {@link Zone}'s cached offsets and applies the DST policy:
 *
 * - A local time that does not exist (spring forward): a *fixed-time* job (minute and hour
 *   fields not starting with `*`) runs once at the instant of the jump, as cron does when it
 *   wakes up after the clock moved ahead (only for jumps of up to 3 hours, like Vixie; longer
 *   jumps are treated as a clock change). A *wildcard* job skips it.
 * - A local time that happens twice (fall back): a fixed-time job runs at the first one only;
 *   a wildcard job runs at both.
 *
 * croner 11 can do this itself in its time zone mode, but it classifies jobs differently
 * (`fixedTimeRule` looks at the seconds field and treats `0-30/10` as a wildcard, the default
 * even treats `0 2,14 * * *` as one) and costs ~40–100 µs per next run because every step asks Intl
 * for an offset; this way costs ~3–20 µs and one parsed pattern serves every time zone.
 *
 * Parsed patterns are shared per expression and compiled schedules per (expression, time zone),
 * in bounded Maps: a compiled schedule is stateless, so any number of jobs can hold one.
 *
 * @example
 * ```ts
 * import { cronSchedule } from "./cron.ts";
 * const s = cronSchedule("30 2 * * *", "Europe/Rome");
 * new Date(s.next(null, Date.UTC(2026, 2, 28, 12))!).toISOString();
 * // "2026-03-29T01:00:00.000Z": 02:30 does not exist that night, so it runs at 03:00 CEST
 * ```
 * @module
 */
import { CronDate, type CronOptions, CronPattern } from "croner";
import { ScheduleError } from "../errors.ts";
import { type CronExpression, parseCronExpression } from "./cron_syntax.ts";
import { describeCron } from "./describe.ts";
import type { CompiledSchedule } from "./types.ts";
import { systemTimezone, type Transition, type Zone, zoneFor } from "./timezone.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Vixie cron catches up fixed-time jobs only when the clock jumped ahead by less than 3 hours. */
const MAX_CATCH_UP = 3 * HOUR;
/** Offset periods crossed in one search before giving up (two a year in DST zones). */
const MAX_HOPS = 10_000;
/** Bounds on the caches (entries). Evicting only loses sharing: holders keep their objects. */
const MAX_CACHED = 10_000;

// OR of day-of-month and weekday when both are restricted, as Vixie cron, cron-parser, croniter.
const MATCH: CronOptions = { domAndDow: false };

/**
 * A parsed cron expression on a zone-less wall clock: local date-times as UTC milliseconds.
 *
 * @example
 * ```ts
 * import { wallPattern } from "./cron.ts";
 * const p = wallPattern("0 12 * * *");
 * new Date(p.after(Date.UTC(2026, 0, 1))!).toISOString(); // "2026-01-01T12:00:00.000Z"
 * ```
 */
export class WallPattern {
  /** The checked expression. */
  readonly expression: CronExpression;
  readonly #pattern: CronPattern;

  /** Use {@link wallPattern}, which shares one instance per expression. */
  constructor(expression: CronExpression) {
    this.expression = expression;
    let pattern: CronPattern;
    try {
      pattern = new CronPattern(expression.fields.join(" "), undefined, { mode: "6-part" });
    } catch (e) {
      // Our checks mirror croner's; this is the safety net if croner 11.x ever diverges.
      const why = (e instanceof Error ? e.message : String(e)).replace(/^CronPattern: /, "");
      throw new ScheduleError("cron", `'${expression.source}' is not valid: ${why}`);
    }
    // croner keeps a 10,000-slot year table (~80 KB) per pattern; with 5 or 6 fields the year is
    // always `*` (starYear) and croner never reads it then. Dropping it makes a pattern ~3 KB.
    if (pattern.starYear) pattern.year = [];
    this.#pattern = pattern;
  }

  /** The first matching wall time strictly after `wall`, or null (none before year 3000). */
  after(wall: number): number | null {
    const d = new CronDate(new Date(wall), 0).increment(this.#pattern, MATCH, false);
    const m = d ? d.getTime() : null;
    return m !== null && m > wall ? m : null;
  }

  /** The last matching wall time strictly before `wall`, or null. */
  before(wall: number): number | null {
    const d = new CronDate(new Date(wall), 0).decrement(this.#pattern, MATCH);
    const m = d ? d.getTime() : null;
    return m !== null && m < wall ? m : null;
  }
}

const patterns = new Map<string, WallPattern>();
const schedules = new Map<string, CronSchedule>();

/**
 * The shared, checked pattern for an expression. Throws {@link ScheduleError} (field `cron`) when
 * the expression is malformed or can never fire (`0 0 30 2 *`).
 *
 * @example
 * ```ts
 * import { wallPattern } from "./cron.ts";
 * wallPattern("*\/5 * * * *") === wallPattern("*\/5  *  * * *"); // true: one parse, shared
 * ```
 */
export function wallPattern(expression: string): WallPattern {
  const cached = patterns.get(expression);
  if (cached) return cached;
  const parsed = parseCronExpression(expression);
  let pattern = patterns.get(parsed.source);
  if (!pattern) {
    pattern = new WallPattern(parsed);
    // Checked once per expression: a day/month combination that never exists (Feb 30, Apr 31).
    if (pattern.after(Date.UTC(2000, 0, 1)) === null) {
      throw new ScheduleError("cron", `'${parsed.source}' never runs (no date matches it)`);
    }
    remember(patterns, parsed.source, pattern);
  }
  remember(patterns, expression, pattern);
  return pattern;
}

/**
 * A compiled cron schedule. Stateless: the cursor and anchor are arguments, so jobs with the same
 * expression and time zone share one instance.
 *
 * @example
 * ```ts
 * import { cronSchedule } from "./cron.ts";
 * const s = cronSchedule("0 8 * * MON-FRI", "Europe/Rome");
 * s.describe(); // "At 08:00, Monday through Friday (Europe/Rome)"
 * ```
 */
export class CronSchedule implements CompiledSchedule {
  /** Always `"cron"`. */
  readonly kind = "cron" as const;
  readonly #pattern: WallPattern;
  readonly #zone: Zone;
  readonly #label: string | null;
  #description: string | undefined;

  /** Use {@link cronSchedule}, which shares instances. */
  constructor(pattern: WallPattern, zone: Zone, label: string | null) {
    this.#pattern = pattern;
    this.#zone = zone;
    this.#label = label;
  }

  /** The time zone the expression is read in. */
  get timezone(): string {
    return this.#zone.name;
  }

  /** First run strictly after `cursorMs` (or, with null, after the anchor); never before it. */
  next(cursorMs: number | null, anchorMs: number): number | null {
    const after = cursorMs === null ? anchorMs : Math.max(cursorMs, anchorMs);
    return nextRun(this.#pattern, this.#zone, after);
  }

  /** Last run in `(max(sinceMs, anchorMs), atMs]`, or null. */
  latest(atMs: number, sinceMs: number, anchorMs: number): number | null {
    const lower = Math.max(sinceMs, anchorMs);
    return atMs > lower ? latestRun(this.#pattern, this.#zone, atMs, lower) : null;
  }

  /** cronstrue's wording, plus the time zone when one was set. */
  describe(): string {
    return this.#description ??= describeCron(this.#pattern.expression.source, this.#label);
  }
}

/**
 * The shared compiled schedule for an expression in a time zone. `timezone` null reads the
 * expression in the process's time zone (as classic cron does) and leaves it out of describe().
 *
 * @example
 * ```ts
 * import { cronSchedule } from "./cron.ts";
 * const s = cronSchedule("*\/15 * * * *", "UTC");
 * new Date(s.next(Date.UTC(2026, 0, 1, 10, 7), 0)!).toISOString(); // "2026-01-01T10:15:00.000Z"
 * ```
 */
export function cronSchedule(expression: string, timezone: string | null): CronSchedule {
  const key = `${timezone ?? ""}\n${expression}`;
  let schedule = schedules.get(key);
  if (!schedule) {
    const pattern = wallPattern(expression);
    const zone = zoneFor(timezone ?? systemTimezone());
    schedule = new CronSchedule(pattern, zone, timezone);
    remember(schedules, key, schedule);
  }
  return schedule;
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_CACHED) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/**
 * The first run strictly after instant `after`. Walks offset periods forward: within a period,
 * local time is `instant + offset`, so the next matching wall time maps straight to an instant;
 * when that instant lies past a transition, continue in the next period.
 */
function nextRun(p: WallPattern, zone: Zone, after: number): number | null {
  const fixed = p.expression.fixedTime;
  let lo = after; // runs are > lo
  let from = after; // transitions after this one are still ahead
  let offset = zone.offsetAt(after);
  // The transition that began the current period matters for a day at most (repeated times).
  let entered = zone.lastTransition(after - DAY, after);
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    let bound = lo + offset; // wall times > bound
    if (fixed && entered && entered.before > entered.after) {
      // Fall back: a fixed-time job already ran at the first of the repeated wall times.
      bound = Math.max(bound, entered.at + entered.before - 1);
    }
    const wall = p.after(bound);
    if (wall === null) return null;
    const t = wall - offset;
    const crossed = zone.firstTransition(from, t);
    if (!crossed) return t;
    entered = crossed;
    offset = crossed.after;
    from = crossed.at;
    lo = crossed.at - 1;
    if (fixed && catchesUp(p, crossed)) return crossed.at;
  }
  return null;
}

/** The last run in `(lower, at]`: the mirror image of {@link nextRun}, so the two agree. */
function latestRun(p: WallPattern, zone: Zone, at: number, lower: number): number | null {
  const fixed = p.expression.fixedTime;
  let hi = at; // runs are <= hi
  let offset = zone.offsetAt(at);
  let entered = zone.lastTransition(Math.min(lower, at - DAY), at);
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const wall = p.before(hi + offset + 1); // the last wall time <= hi + offset
    // The period starts at `entered.at`; for a fixed-time job its repeated wall times don't count.
    const minWall = entered
      ? entered.at + (fixed ? Math.max(entered.before, entered.after) : entered.after)
      : -Infinity;
    if (wall !== null && wall >= minWall) {
      const t = wall - offset;
      return t > lower ? t : null;
    }
    if (!entered || entered.at <= lower) return null;
    if (fixed && catchesUp(p, entered)) return entered.at;
    hi = entered.at - 1;
    offset = entered.before;
    entered = zone.lastTransition(Math.min(lower, hi - DAY), hi);
  }
  return null;
}

/** True when a fixed-time job has a wall time inside the gap a spring-forward `tr` skipped. */
function catchesUp(p: WallPattern, tr: Transition): boolean {
  const jump = tr.after - tr.before;
  if (jump <= 0 || jump > MAX_CATCH_UP) return false;
  const first = p.after(tr.at + tr.before - 1);
  return first !== null && first < tr.at + tr.after;
}
