/**
 * Time zones: validation and UTC offsets, from the Intl data built into V8 (no zoneinfo files are
 * read, so this works in a scratch container too).
 *
 * Offsets are expensive to ask Intl for (~5 µs per `formatToParts`), and cron evaluation asks
 * often, so each zone keeps a table per UTC year of its offset on January 1st and the exact
 * instants where the offset changes. A table costs ~370 Intl calls once; after that an offset is
 * a couple of comparisons.
 *
 * @example
 * ```ts
 * import { validateTimezone, zoneFor } from "./timezone.ts";
 * validateTimezone("Europe/Rome"); // "Europe/Rome"
 * zoneFor("Europe/Rome").offsetAt(Date.UTC(2026, 6, 1)); // 7_200_000 (CEST)
 * ```
 * @module
 */
import { ScheduleError } from "../errors.ts";

const DAY = 86_400_000;
const known = new Set<string>(["UTC"]);

/**
 * Checks that `tz` is a time zone Intl knows (IANA names such as `Europe/Rome`, `UTC`) and returns
 * it unchanged. Throws `ScheduleError("timezone", "'Mars/Base' is not an IANA time zone")`.
 *
 * @example
 * ```ts
 * import { validateTimezone } from "./timezone.ts";
 * validateTimezone("America/New_York"); // "America/New_York"
 * try { validateTimezone("Mars/Base"); } catch (e) { console.log((e as Error).message); }
 * // timezone: 'Mars/Base' is not an IANA time zone
 * ```
 */
export function validateTimezone(tz: string): string {
  if (typeof tz !== "string" || tz.trim() === "") {
    throw new ScheduleError("timezone", `${JSON.stringify(tz)} is not an IANA time zone`);
  }
  if (known.has(tz)) return tz;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    // Printable names as written; anything else JSON-quoted, so it cannot break the line.
    const shown = /^[\x20-\x26\x28-\x7e]{1,100}$/.test(tz)
      ? `'${tz}'`
      : JSON.stringify(tz.length > 100 ? `${tz.slice(0, 100)}…` : tz);
    throw new ScheduleError("timezone", `${shown} is not an IANA time zone`);
  }
  known.add(tz);
  return tz;
}

/**
 * The process's own time zone (classic cron runs in local time), `UTC` when Intl has none.
 *
 * @example
 * ```ts
 * import { systemTimezone } from "./timezone.ts";
 * systemTimezone(); // e.g. "Europe/Rome", or "UTC" in a container without TZ
 * ```
 */
export function systemTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/**
 * A change of UTC offset: from `at` on, local time is UTC + `after` instead of UTC + `before`.
 * `after > before` is a spring-forward gap, `after < before` a fall-back overlap.
 *
 * @example
 * ```ts
 * import { zoneFor } from "./timezone.ts";
 * const t = zoneFor("Europe/Rome").firstTransition(Date.UTC(2026, 2, 1), Date.UTC(2026, 3, 1));
 * // { at: 2026-03-29T01:00Z in ms, before: 3_600_000, after: 7_200_000 }
 * ```
 */
export interface Transition {
  readonly at: number;
  readonly before: number;
  readonly after: number;
}

interface YearTable {
  readonly start: number;
  readonly end: number;
  readonly startOffset: number;
  /** Transitions with `start < at <= end`, ascending. */
  readonly transitions: readonly Transition[];
}

/**
 * UTC offsets of one time zone, computed lazily per year and cached. Get one with {@link zoneFor}.
 *
 * @example
 * ```ts
 * import { zoneFor } from "./timezone.ts";
 * const rome = zoneFor("Europe/Rome");
 * rome.offsetAt(Date.UTC(2026, 0, 1)); // 3_600_000
 * ```
 */
export class Zone {
  /** The zone's name as given. */
  readonly name: string;
  #format: Intl.DateTimeFormat | null;
  #years = new Map<number, YearTable>();
  #last: YearTable | undefined;

  /** Use {@link zoneFor}, which shares one instance per name. */
  constructor(name: string) {
    this.name = name;
    // UTC never changes offset: skip Intl entirely.
    this.#format = name === "UTC" ? null : new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  }

  /** Offset from UTC in ms at instant `t` (local wall time = `t + offsetAt(t)`). */
  offsetAt(t: number): number {
    const table = this.#tableAt(t);
    let offset = table.startOffset;
    for (const tr of table.transitions) {
      if (tr.at > t) break;
      offset = tr.after;
    }
    return offset;
  }

  /** The first transition with `from < at <= to`, or null. */
  firstTransition(from: number, to: number): Transition | null {
    if (!(to > from)) return null;
    for (let y = yearOf(from), last = yearOf(to); y <= last; y++) {
      for (const tr of this.#table(y).transitions) {
        if (tr.at > to) return null;
        if (tr.at > from) return tr;
      }
    }
    return null;
  }

  /** The last transition with `from < at <= to`, or null. */
  lastTransition(from: number, to: number): Transition | null {
    if (!(to > from)) return null;
    for (let y = yearOf(to), first = yearOf(from); y >= first; y--) {
      const list = this.#table(y).transitions;
      for (let i = list.length - 1; i >= 0; i--) {
        const tr = list[i];
        if (tr.at <= from) return null;
        if (tr.at <= to) return tr;
      }
    }
    return null;
  }

  #tableAt(t: number): YearTable {
    const last = this.#last;
    if (last && t >= last.start && t < last.end) return last;
    return (this.#last = this.#table(yearOf(t)));
  }

  #table(year: number): YearTable {
    let table = this.#years.get(year);
    if (!table) {
      table = this.#build(year);
      this.#years.set(year, table);
    }
    return table;
  }

  // Samples the offset once a UTC day and bisects each day where it changed down to the second
  // (tzdb transitions fall on whole seconds). Two changes within one day would be missed; no
  // zone has had that outside long-gone wartime rules.
  #build(year: number): YearTable {
    const start = utcMs(year, 0, 1, 0, 0, 0);
    const end = utcMs(year + 1, 0, 1, 0, 0, 0);
    const startOffset = this.#probe(start);
    const transitions: Transition[] = [];
    if (this.#format) {
      let prevT = start;
      let prev = startOffset;
      for (let t = Math.min(start + DAY, end); prevT < end; t = Math.min(t + DAY, end)) {
        const offset = this.#probe(t);
        if (offset !== prev) {
          let lo = prevT;
          let hi = t;
          while (hi - lo > 1000) {
            const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
            if (this.#probe(mid) === prev) lo = mid;
            else hi = mid;
          }
          transitions.push({ at: hi, before: prev, after: offset });
          prev = offset;
        }
        prevT = t;
      }
    }
    return { start, end, startOffset, transitions };
  }

  #probe(t: number): number {
    if (!this.#format) return 0;
    const whole = Math.floor(t / 1000) * 1000;
    const f: Record<string, number> = {};
    for (const part of this.#format.formatToParts(whole)) {
      if (part.type !== "literal") f[part.type] = Number(part.value);
    }
    return utcMs(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - whole;
  }
}

const zones = new Map<string, Zone>();

/**
 * The shared {@link Zone} for a time zone name (validated first).
 *
 * @example
 * ```ts
 * import { zoneFor } from "./timezone.ts";
 * zoneFor("UTC").offsetAt(0); // 0
 * ```
 */
export function zoneFor(tz: string): Zone {
  let zone = zones.get(tz);
  if (!zone) {
    zone = new Zone(validateTimezone(tz));
    zones.set(tz, zone);
  }
  return zone;
}

function yearOf(t: number): number {
  return new Date(t).getUTCFullYear();
}

/** `Date.UTC` without its two-digit-year quirk (years 0–99 would map to 1900–1999). */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo, d);
  date.setUTCHours(h, mi, s, 0);
  return date.getTime();
}
