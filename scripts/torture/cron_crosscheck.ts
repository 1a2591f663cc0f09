/**
 * Cross-check of kron's cron maths against an independent implementation, `cron-parser`:
 * random expressions (5 and 6 fields, ranges, steps, lists, names, `L`, `nL`, `#`, `?`,
 * nicknames) in random time zones from random instants; the next 5 run times must agree, or
 * the difference must be one of the DST choices DESIGN §3 documents (classic cron: a
 * fixed-time job runs once right after a spring-forward jump and once in a repeated hour;
 * cron-parser shifts or repeats instead). Every difference is classified and counted; a
 * difference that is not a documented DST choice is a failure.
 *
 * A DST difference is only accepted when kron's time is itself lawful: its local wall time
 * matches the expression (asked of cron-parser's `includesDate`), or it is the instant of a
 * spring-forward jump and the job is fixed-time.
 *
 * @module
 */
// A dev-only dependency of the harness, pinned here rather than in deno.json's imports so the
// library's dependency set stays what it ships with.
// deno-lint-ignore no-import-prefix
import { CronExpressionParser } from "npm:cron-parser@5.10.5";
import { compileSchedule } from "../../src/schedule/mod.ts";
import { type CaseContext, type Result, type Rng, type TortureCase, wallParts } from "./_common.ts";

/** Zones with every kind of rule: none, northern and southern DST, 30-minute DST, odd offsets. */
export const ZONES: readonly string[] = [
  "UTC",
  "Europe/Rome",
  "Europe/London",
  "Europe/Moscow",
  "America/New_York",
  "America/Los_Angeles",
  "America/Santiago",
  "America/Havana",
  "America/St_Johns",
  "America/Sao_Paulo",
  "Australia/Sydney",
  "Australia/Lord_Howe",
  "Australia/Adelaide",
  "Pacific/Auckland",
  "Pacific/Chatham",
  "Pacific/Apia",
  "Asia/Tokyo",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Asia/Tehran",
  "Asia/Jerusalem",
  "Africa/Cairo",
  "Atlantic/Azores",
  "America/Godthab",
];

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

function numField(rng: Rng, min: number, max: number, names?: string[]): string {
  const val = () => {
    const n = rng.int(min, max);
    return names && rng.chance(0.3) && names[n - min] ? names[n - min] : String(n);
  };
  const kind = rng.int(0, 9);
  switch (kind) {
    case 0:
    case 1:
      return "*";
    case 2:
      return val();
    case 3: {
      const a = rng.int(min, max);
      const b = rng.int(a, max);
      return `${a}-${b}`;
    }
    case 4:
      return `*/${rng.int(1, Math.max(1, Math.min(max - min, 30)))}`;
    case 5: {
      const a = rng.int(min, max);
      const b = rng.int(a, max);
      return `${a}-${b}/${rng.int(1, Math.max(1, Math.min(max - min, 20)))}`;
    }
    case 6: {
      const n = rng.int(2, 4);
      const vals = new Set<number>();
      for (let i = 0; i < n; i++) vals.add(rng.int(min, max));
      return [...vals].sort((a, b) => a - b).join(",");
    }
    case 7:
      // Rarely: a step from a bare number, which croner (and so kron) refuses.
      if (rng.chance(0.15)) {
        return `${rng.int(min, max)}/${rng.int(1, Math.max(1, Math.min(max - min, 20)))}`;
      }
      return val();
    default:
      return val();
  }
}

function domField(rng: Rng): string {
  const r = rng.next();
  if (r < 0.08) return "L";
  if (r < 0.12) return "?";
  if (r < 0.2) return rng.pick(["28", "29", "30", "31", "29-31", "1,15,31"]);
  return numField(rng, 1, 31);
}

function dowField(rng: Rng): string {
  const r = rng.next();
  if (r < 0.06) return `${rng.int(0, 6)}L`;
  if (r < 0.12) return `${rng.pick(DAYS)}#${rng.int(1, 5)}`;
  if (r < 0.15) return "?";
  if (r < 0.2) return rng.pick(["MON-FRI", "SAT,SUN", "1-5", "0,6", "5-7", "7"]);
  return numField(rng, 0, 6, DAYS);
}

/**
 * A random cron expression both kron and cron-parser accept.
 *
 * @example
 * ```ts
 * import { Rng } from "./_common.ts";
 * import { randomCron } from "./cron_crosscheck.ts";
 * randomCron(new Rng(1)); // e.g. "*\/5 3 * * MON-FRI"
 * ```
 */
export function randomCron(rng: Rng): string {
  if (rng.chance(0.03)) return rng.pick(["@yearly", "@monthly", "@weekly", "@daily", "@hourly"]);
  const fields = [
    // Minute and hour are biased towards fixed values: fixed-time jobs are where DST bites.
    rng.chance(0.5) ? String(rng.int(0, 59)) : numField(rng, 0, 59),
    rng.chance(0.5) ? String(rng.pick([0, 1, 2, 3, rng.int(0, 23)])) : numField(rng, 0, 23),
    rng.chance(0.6) ? "*" : domField(rng),
    rng.chance(0.7) ? "*" : numField(rng, 1, 12, MONTHS),
    rng.chance(0.6) ? "*" : dowField(rng),
  ];
  if (rng.chance(0.2)) {
    fields.unshift(rng.chance(0.5) ? String(rng.int(0, 59)) : numField(rng, 0, 59));
  }
  return fields.join(" ");
}

/** The zone's UTC offset at instant `t` in ms (from Intl, independent of kron's zone code). */
export function offsetAt(tz: string, t: number): number {
  const p = wallParts(tz, t);
  const wall = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s);
  return wall - Math.floor(t / 1000) * 1000;
}

/** Offset changes in (a, b], found by sampling every `step` ms and bisecting each change. */
function transitions(
  tz: string,
  a: number,
  b: number,
  step = 30 * 60_000,
): { at: number; jump: number }[] {
  const out: { at: number; jump: number }[] = [];
  const STEP = step;
  let t = a;
  let off = offsetAt(tz, t);
  while (t < b) {
    const u = Math.min(b, t + STEP);
    const o = offsetAt(tz, u);
    if (o !== off) {
      let lo = t, hi = u;
      while (hi - lo > 1000) {
        const mid = Math.floor((lo + hi) / 2 / 1000) * 1000;
        if (mid <= lo) break;
        if (offsetAt(tz, mid) === off) lo = mid;
        else hi = mid;
      }
      // Offsets change on whole seconds: the change is the first whole second after `lo` (the
      // search's bounds carry the start's milliseconds, so `hi` itself may be mid-second).
      out.push({ at: Math.floor(lo / 1000) * 1000 + 1000, jump: o - off });
      off = o;
    }
    t = u;
  }
  return out;
}

const yearCache = new Map<string, { at: number; jump: number }[]>();

/** The offset changes of a zone in a year (sampled every 6 hours: DST rules never flip faster). */
function yearTransitions(tz: string, year: number): { at: number; jump: number }[] {
  const key = `${tz} ${year}`;
  let trs = yearCache.get(key);
  if (!trs) {
    trs = transitions(tz, Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1), 6 * 3_600_000);
    yearCache.set(key, trs);
  }
  return trs;
}

function isFixedTime(expr: string): boolean {
  if (expr.startsWith("@")) return expr !== "@hourly";
  const f = expr.trim().split(/\s+/);
  const [minute, hour] = f.length === 6 ? [f[1], f[2]] : [f[0], f[1]];
  return !minute.startsWith("*") && !hour.startsWith("*");
}

/** The case. */
export const cron_crosscheck: TortureCase = {
  name: "cron_crosscheck",
  title: "next 5 run times vs cron-parser, random expressions and zones",
  run(ctx: CaseContext, result: Result): Promise<void> {
    const n = ctx.quick ? 1_500 : 10_000;
    const rng = ctx.rng;
    const classes = new Map<string, number>();
    const bump = (k: string) => classes.set(k, (classes.get(k) ?? 0) + 1);
    let agreed = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const expr = randomCron(rng);
      const tz = rng.pick(ZONES);
      // Random instant 2020–2035, off the second so "strictly after" is unambiguous for both;
      // half of them within two days before one of the zone's offset changes, where the two
      // implementations are most likely to part.
      let start = Date.UTC(2020, 0, 1) + rng.int(0, 15 * 365 * 24 * 3600) * 1000 + 500;
      if (rng.chance(0.5)) {
        const trs = yearTransitions(tz, rng.int(2020, 2035));
        if (trs.length > 0) start = rng.pick(trs).at - rng.int(0, 2 * 24 * 3600) * 1000 - 500;
      }
      result.count();
      let ours: number[];
      try {
        const s = compileSchedule({ cron: expr, timezone: tz });
        ours = [];
        let c = start;
        for (let k = 0; k < 5; k++) {
          const t = s.next(c, start);
          if (t === null) break;
          ours.push(t);
          c = t;
        }
      } catch (e) {
        // Expressions that can never fire (Feb 30) are refused by kron; cron-parser loops or
        // throws on them. Anything else kron refuses is a failure.
        const msg = e instanceof Error ? e.message : String(e);
        if (/never runs/.test(msg)) {
          bump("never runs (refused by kron)");
          continue;
        }
        // `5/15` (a step from a bare number) is cron-parser's syntax, not croner's: kron follows
        // croner and refuses it with a hint, which is the behaviour checked here.
        if (/needs '\*' or a range before '\/'/.test(msg)) {
          bump("n/step refused (not croner syntax)");
          continue;
        }
        result.fail(`kron refused "${expr}" (${tz}): ${msg}`);
        continue;
      }
      const theirs: number[] = [];
      let it;
      try {
        it = CronExpressionParser.parse(expr, { tz, currentDate: new Date(start) });
        for (let k = 0; k < ours.length; k++) theirs.push(it.next().toDate().getTime());
      } catch (e) {
        bump(`cron-parser failed: ${(e instanceof Error ? e.message : String(e)).slice(0, 40)}`);
        continue;
      }
      if (ours.length === theirs.length && ours.every((t, k) => t === theirs[k])) {
        agreed++;
        continue;
      }
      // Where they part: is there an offset change between the last agreed time and the later of
      // the two answers? Then it is a DST choice, provided kron's answer is lawful.
      const k = ours.findIndex((t, j) => t !== theirs[j]);
      const prev = k === 0 ? start : ours[k - 1];
      const until = Math.max(ours[k] ?? 0, theirs[k] ?? 0, ...ours.slice(k), ...theirs.slice(k));
      const trs = transitions(tz, prev - 3_600_000, until + 3_600_000);
      if (trs.length === 0) {
        result.fail(
          `"${expr}" (${tz}) from ${new Date(start).toISOString()}: kron ${
            ours.map((t) => new Date(t).toISOString()).join(",")
          } vs cron-parser ${theirs.map((t) => new Date(t).toISOString()).join(",")}`,
        );
        continue;
      }
      const fixed = isFixedTime(expr);
      const lawful = ours.slice(k).every((t) =>
        it!.includesDate(new Date(t)) || (fixed && trs.some((tr) => tr.at === t && tr.jump > 0))
      );
      if (!lawful) {
        result.fail(
          `"${expr}" (${tz}) near a DST change: kron time(s) ${
            ours.slice(k).map((t) => new Date(t).toISOString()).join(",")
          } do not match the expression`,
        );
        continue;
      }
      // And kron must not miss a lawful time: a time cron-parser gives whose wall time matches,
      // inside the span kron covered, is in kron's list, unless it is the second pass of a
      // repeated hour and the job is fixed-time (classic cron runs those once).
      const last = ours.at(-1) ?? Infinity;
      const missed = theirs.slice(k).filter((t) =>
        t <= last && !ours.includes(t) && it!.includesDate(new Date(t)) &&
        !(fixed && trs.some((tr) => tr.jump < 0 && t >= tr.at && t < tr.at - tr.jump))
      );
      if (missed.length > 0) {
        result.fail(
          `"${expr}" (${tz}) from ${new Date(start).toISOString()}: kron misses ${
            missed.map((t) => new Date(t).toISOString()).join(",")
          } (kron ${ours.map((t) => new Date(t).toISOString()).join(",")})`,
        );
        continue;
      }
      if (Deno.env.get("TORTURE_DEBUG")) {
        console.error(
          `${expr} ${tz} ${new Date(start).toISOString()}\n kron ${
            ours.map((t) => new Date(t).toISOString()).join(",")
          }\n  cp  ${theirs.map((t) => new Date(t).toISOString()).join(",")}`,
        );
      }
      const spring = trs.some((tr) => tr.jump > 0);
      const fall = trs.some((tr) => tr.jump < 0);
      bump(
        `DST ${spring && fall ? "both" : spring ? "spring-forward" : "fall-back"} (${
          fixed ? "fixed-time" : "wildcard"
        })`,
      );
    }
    const ms = performance.now() - t0;
    result.figure("expressions", n);
    result.figure("agree", agreed);
    for (const [k, v] of [...classes].sort((a, b) => b[1] - a[1])) result.figure(k, v);
    result.figure("ms", Math.round(ms));
    return Promise.resolve();
  },
};
