/**
 * Clock torture on the engine's FakeClock (MemoryStore, function jobs):
 *
 * - **forward jumps** (machine sleep, a 30-day outage): per job at most one catch-up run, the
 *   one DESIGN §8 names (the latest missed slot within `misfire_grace` under `run_once`, none
 *   under `skip`), never a burst, then exactly the normal schedule: no job stops scheduling;
 * - **backward steps** (NTP): no occurrence runs twice, scheduled times only increase, and every
 *   job fires again once the clock is past its last occurrence;
 * - **DST** in 5 zones, spring and fall, for fixed-time and wildcard cron jobs: the classic-cron
 *   policy of DESIGN §3, checked against wall times computed with Intl;
 * - **leap days and month ends** (`0 0 31 * *`, `0 0 L * *`, `0 12 29 2 *`, …) over 15 months,
 *   against dates computed by hand.
 *
 * Long quiet stretches are crossed with `clock.jump` only up to just before the next due time
 * (nothing fires on the way, so it is the same as letting the engine's 60 s wake-ups pass), which
 * keeps months of fake time cheap.
 *
 * @module
 */
import { Engine } from "../../src/engine/engine.ts";
import { FakeClock } from "../../src/engine/clock.ts";
import type { JobOptions } from "../../src/engine/types.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { compileSchedule } from "../../src/schedule/mod.ts";
import { type CaseContext, type Result, type Rng, type TortureCase, wallParts } from "./_common.ts";

interface Started {
  job: string;
  runId: string;
  scheduledAt: number;
  time: number;
  trigger: string;
}

interface Rig {
  engine: Engine;
  clock: FakeClock;
  starts: Started[];
  names: string[];
}

async function rig(start: number, jobs: Record<string, JobOptions>, rng: Rng): Promise<Rig> {
  const clock = new FakeClock(start);
  const engine = new Engine({
    store: new MemoryStore(),
    clock,
    random: () => rng.next(),
    defaultTimezone: "UTC",
  });
  const starts: Started[] = [];
  engine.onEvent((e) => {
    if (e.type === "RUN_STARTED") {
      starts.push({
        job: e.job,
        runId: e.runId,
        scheduledAt: Date.parse(e.scheduledAt),
        time: Date.parse(e.time),
        trigger: e.trigger,
      });
    }
  });
  for (const [name, options] of Object.entries(jobs)) engine.define(name, options, () => {});
  await engine.start();
  return { engine, clock, starts, names: Object.keys(jobs) };
}

/** Advances to `target`, jumping over quiet stretches (never past a due time). */
async function runUntil(r: Rig, target: number): Promise<void> {
  while (r.clock.now() < target) {
    let next = Infinity;
    for (const n of r.names) {
      const s = r.engine.status(n);
      if (s.running > 0) next = r.clock.now();
      if (s.nextRunAt) next = Math.min(next, s.nextRunAt.getTime());
    }
    const quiet = Math.min(next, target) - r.clock.now() - 1000;
    if (quiet > 0) r.clock.jump(quiet);
    await r.clock.advance(Math.min(2000, target - r.clock.now()));
  }
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

interface Scale {
  name: string;
  /** Smallest period of the jobs drawn at this scale. */
  period: number;
  every: string[];
  cron: string[];
}

/** Jobs of one round share a scale, so that a window of a few dozen periods covers them all. */
const SCALES: Scale[] = [
  {
    name: "seconds",
    period: 1000,
    every: ["1s", "3s", "7s"],
    cron: ["*/5 * * * * *", "*/20 * * * * *"],
  },
  {
    name: "minutes",
    period: MIN,
    every: ["1m", "5m"],
    cron: ["* * * * *", "*/5 * * * *", "*/10 * * * *"],
  },
  {
    name: "hours",
    period: HOUR,
    every: ["1h", "6h"],
    cron: ["0 * * * *", "0 */6 * * *", "30 2 * * *"],
  },
  { name: "days", period: DAY, every: ["1d"], cron: ["30 2 * * *", "0 0 * * MON", "0 0 1 * *"] },
];

function randomJob(rng: Rng, scale: Scale): JobOptions {
  const base: JobOptions = rng.chance(0.5)
    ? { every: rng.pick(scale.every) }
    : { cron: rng.pick(scale.cron), timezone: rng.pick(["UTC", "Europe/Rome"]) };
  return {
    ...base,
    misfire: rng.chance(0.7) ? "run_once" : "skip",
    misfireGrace: rng.pick(["1m", "1h", "2d", "40d"]),
  };
}

function dupes(starts: Started[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const s of starts) {
    const k = `${s.job} ${s.scheduledAt}`;
    if (seen.has(k)) out.push(`${s.job} @ ${new Date(s.scheduledAt).toISOString()}`);
    seen.add(k);
  }
  return out;
}

async function forwardJumps(ctx: CaseContext, result: Result, rounds: number): Promise<number> {
  const rng = ctx.rng;
  let catchups = 0;
  for (let round = 0; round < rounds; round++) {
    const jobs: Record<string, JobOptions> = {};
    const scale = rng.pick(SCALES);
    const count = rng.int(4, 10);
    for (let i = 0; i < count; i++) jobs[`j${i}`] = randomJob(rng, scale);
    const start = Date.UTC(
      2026,
      rng.int(0, 11),
      rng.int(1, 28),
      rng.int(0, 23),
      rng.int(0, 59),
      rng.int(0, 59),
      rng.int(0, 999),
    );
    const r = await rig(start, jobs, rng.fork());
    await runUntil(r, start + rng.int(1, 5) * scale.period + rng.int(0, 999));
    // Sleep: the clock moves on and no timer fires until the machine wakes up.
    const gap = rng.chance(0.3) ? 30 * DAY : rng.pick([
      scale.period / 2,
      3 * scale.period,
      30_000,
      5 * MIN,
      59 * MIN,
      2 * HOUR,
      3 * DAY,
      30 * DAY + 7 * HOUR,
    ]);
    const before = r.clock.now();
    // What each job's next occurrence was before the sleep (its first missed one, if any).
    const first = new Map(r.names.map((n) => [n, r.engine.status(n).nextRunAt?.getTime() ?? null]));
    const cursorRuns = new Map(r.names.map((n) => [n, r.starts.filter((s) => s.job === n).length]));
    r.clock.jump(gap);
    const wake = r.clock.now();
    await r.clock.advance(1);
    const end = wake + 40 * scale.period;
    await runUntil(r, end);
    const what = `round ${round} (${scale.name}, sleep ${Math.round(gap / 1000)} s at ${
      new Date(before).toISOString()
    })`;
    for (const name of r.names) {
      result.count();
      const opts = jobs[name];
      const sched = compileSchedule(
        opts.every ? { every: opts.every } : { cron: opts.cron!, timezone: opts.timezone },
      );
      const mine = r.starts.filter((s) => s.job === name).slice(cursorRuns.get(name)!);
      const atWake = mine.filter((s) => s.time <= wake + 1 && s.scheduledAt < wake);
      const f = first.get(name)!;
      // The anchor does not matter for cron; for every-jobs take it from the state.
      const anchor = r.engine.state.jobs.get(name)!.anchorAt;
      const graceMs = parseGrace(opts.misfireGrace as string);
      const missed = f !== null && f <= wake;
      // DESIGN §8: a missed occurrence is a misfire when the following one is also due or it
      // is later than the grace; otherwise it simply runs late, whatever `misfire` says.
      const following = missed ? sched.next(f!, anchor) : null;
      const late = missed && (following === null || following > wake) && wake - f! <= graceMs;
      const want = !missed
        ? null
        : late
        ? f
        : opts.misfire === "skip"
        ? null
        : sched.latest(wake, Math.max(wake - graceMs, f! - 1), anchor);
      if (
        !result.check(
          atWake.length <= 1,
          `${what}: ${name} burst of ${atWake.length} catch-up runs at wake-up`,
        )
      ) continue;
      if (want === null) {
        result.check(
          atWake.length === 0,
          () =>
            `${what}: ${name} (${JSON.stringify(opts)}) caught up ${
              new Date(atWake[0].scheduledAt).toISOString()
            } but should not`,
        );
      } else {
        catchups++;
        result.check(
          atWake.length === 1 && atWake[0].scheduledAt === want,
          () =>
            `${what}: ${name} (${JSON.stringify(opts)}) expected one catch-up of ${
              new Date(want).toISOString()
            }, got ${atWake.map((s) => new Date(s.scheduledAt).toISOString()).join(",") || "none"}`,
        );
      }
      // Then the normal schedule, exactly: every occurrence after the wake-up, on time.
      const after = mine.filter((s) => s.scheduledAt > wake);
      const expected: number[] = [];
      for (
        let t = sched.next(wake, anchor);
        t !== null && t <= end - 2000;
        t = sched.next(t, anchor)
      ) {
        expected.push(t);
        if (expected.length > 5000) break;
      }
      const got = after.map((s) => s.scheduledAt).filter((t) => t <= end - 2000);
      result.check(
        got.length === expected.length && got.every((t, i) => t === expected[i]),
        () =>
          `${what}: ${name} (${
            JSON.stringify(opts)
          }) after wake-up ran ${got.length} occurrences, schedule has ${expected.length} (first diff at ${
            got.findIndex((t, i) => t !== expected[i])
          })`,
      );
      result.check(
        after.every((s) => s.time === s.scheduledAt),
        `${what}: ${name} ran late after the wake-up`,
      );
    }
    const d = dupes(r.starts);
    result.check(d.length === 0, `${what}: duplicate occurrences ${d.slice(0, 3).join(", ")}`);
    await r.engine.shutdown({ timeout: 0 });
  }
  return catchups;
}

function parseGrace(g: string): number {
  const n = Number.parseInt(g, 10);
  return g.endsWith("d")
    ? n * DAY
    : g.endsWith("h")
    ? n * HOUR
    : g.endsWith("m")
    ? n * MIN
    : n * 1000;
}

async function backwardSteps(ctx: CaseContext, result: Result, rounds: number): Promise<void> {
  const rng = ctx.rng;
  for (let round = 0; round < rounds; round++) {
    const jobs: Record<string, JobOptions> = {};
    const scale = rng.pick(SCALES);
    const count = rng.int(3, 8);
    for (let i = 0; i < count; i++) jobs[`j${i}`] = randomJob(rng, scale);
    const start = Date.UTC(2026, rng.int(0, 11), rng.int(1, 28), rng.int(0, 23), rng.int(0, 59));
    const r = await rig(start, jobs, rng.fork());
    await runUntil(r, start + rng.int(1, 5) * scale.period);
    const step = rng.pick([
      1000,
      scale.period,
      3 * scale.period,
      30_000,
      10 * MIN,
      2 * HOUR,
      2 * DAY,
    ]);
    const high = r.clock.now();
    r.clock.jump(-step);
    await r.clock.advance(1);
    const end = high + 20 * scale.period;
    await runUntil(r, end);
    const what = `round ${round} (step back ${step / 1000} s)`;
    for (const name of r.names) {
      result.count();
      const mine = r.starts.filter((s) => s.job === name);
      const increasing = mine.every((s, i) => i === 0 || s.scheduledAt > mine[i - 1].scheduledAt);
      result.check(
        increasing,
        `${what}: ${name} ran an occurrence again after the clock stepped back`,
      );
      // Every job fires again once the clock is past where it was.
      const opts = jobs[name];
      const sched = compileSchedule(
        opts.every ? { every: opts.every } : { cron: opts.cron!, timezone: opts.timezone },
      );
      const nextAfterHigh = sched.next(high + 1000, r.engine.state.jobs.get(name)!.anchorAt);
      if (nextAfterHigh !== null && nextAfterHigh < end - 2000) {
        result.check(
          mine.some((s) => s.scheduledAt >= nextAfterHigh),
          `${what}: ${name} (${
            JSON.stringify(opts)
          }) stopped scheduling after the clock stepped back`,
        );
      }
    }
    const d = dupes(r.starts);
    result.check(d.length === 0, `${what}: duplicate occurrences ${d.slice(0, 3).join(", ")}`);
    await r.engine.shutdown({ timeout: 0 });
  }
}

// ------------------------------------------------------------------ DST

const local = wallParts;

/** The offset changes of `tz` in a year (sampled every 15 minutes, exact to the minute). */
function yearTransitions(tz: string, year: number): { at: number; jump: number }[] {
  const off = (t: number) => {
    const l = local(tz, t);
    return Date.UTC(l.y, l.mo - 1, l.d, l.h, l.mi, l.s) - Math.floor(t / 1000) * 1000;
  };
  const out: { at: number; jump: number }[] = [];
  let t = Date.UTC(year, 0, 1);
  let o = off(t);
  for (; t < Date.UTC(year + 1, 0, 1); t += 15 * MIN) {
    const o2 = off(t + 15 * MIN);
    if (o2 !== o) {
      let at = t;
      while (off(at) === o) at += MIN;
      out.push({ at, jump: o2 - o });
      o = o2;
    }
  }
  return out;
}

interface DstJob {
  cron: string;
  fixed: boolean;
  match: (l: { h: number; mi: number; s: number }) => boolean;
}

async function dst(ctx: CaseContext, result: Result): Promise<number> {
  const all = [
    "Europe/Rome",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
  ];
  const zones = ctx.quick ? [all[ctx.rng.int(0, 1)], all[ctx.rng.int(2, 4)]] : all;
  const year = ctx.rng.int(2026, 2030);
  let checked = 0;
  for (const tz of zones) {
    for (const tr of yearTransitions(tz, year)) {
      // Wall times around the change: the hour and minute the change happens at, locally.
      const before = local(tz, tr.at - 1);
      const h = before.h, m = before.mi + 1 === 60 ? 0 : before.mi + 1;
      const hh = m === 0 ? (h + 1) % 24 : h;
      // A fixed time inside the skipped (spring) or repeated (fall) span.
      const inside = tr.jump > 0
        ? { h: tr.jump >= HOUR ? hh : hh, mi: Math.floor(tr.jump / MIN / 2) }
        : { h: local(tz, tr.at).h, mi: 30 };
      const jobs: Record<string, DstJob> = {
        fixedInside: {
          cron: `${inside.mi} ${inside.h} * * *`,
          fixed: true,
          match: (l) => l.h === inside.h && l.mi === inside.mi && l.s === 0,
        },
        fixedEvening: {
          cron: `0 ${(inside.h + 8) % 24} * * *`,
          fixed: true,
          match: (l) => l.h === (inside.h + 8) % 24 && l.mi === 0 && l.s === 0,
        },
        fixedSeconds: {
          cron: `15 ${inside.mi} ${inside.h} * * *`,
          fixed: true,
          match: (l) => l.h === inside.h && l.mi === inside.mi && l.s === 15,
        },
        quarter: { cron: "*/15 * * * *", fixed: false, match: (l) => l.mi % 15 === 0 && l.s === 0 },
        hourly: { cron: "@hourly", fixed: false, match: (l) => l.mi === 0 && l.s === 0 },
        halfHourAt: {
          cron: `30 * * * *`,
          fixed: false,
          match: (l) => l.mi === 30 && l.s === 0,
        },
      };
      const from = tr.at - 12 * HOUR - 7 * MIN;
      const to = tr.at + 12 * HOUR;
      const defs: Record<string, JobOptions> = {};
      for (const [n, j] of Object.entries(jobs)) defs[n] = { cron: j.cron, timezone: tz };
      const r = await rig(from, defs, ctx.rng.fork());
      await runUntil(r, to);
      for (const [name, j] of Object.entries(jobs)) {
        result.count();
        checked++;
        // The oracle: every whole second in the window whose wall time matches; a fixed-time job
        // skips wall times it already saw (the second pass of a repeated hour) and runs once at
        // the jump when its wall time was skipped.
        const want: number[] = [];
        const seen = new Set<string>();
        // Offsets are whole minutes, so local seconds are UTC seconds: only :00 and :15 can match.
        const instants: number[] = [];
        for (let t = Math.ceil((from + 1) / MIN) * MIN; t < to - 3000; t += MIN) {
          instants.push(t, t + 15_000);
        }
        for (const t of instants) {
          const l = local(tz, t);
          if (!j.match(l)) continue;
          const key = `${l.y}-${l.mo}-${l.d} ${l.h}:${l.mi}:${l.s}`;
          if (j.fixed && seen.has(key)) continue;
          seen.add(key);
          want.push(t);
        }
        if (j.fixed && tr.jump > 0 && tr.jump <= 3 * HOUR && tr.at > from && tr.at < to - 3000) {
          // Did the skipped span hold one of its wall times? Then classic cron runs it at the jump.
          const b = local(tz, tr.at - 1000);
          const base = Date.UTC(b.y, b.mo - 1, b.d, b.h, b.mi, b.s) + 1000;
          for (let w = base; w < base + tr.jump; w += 1000) {
            const d = new Date(w);
            if (j.match({ h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() })) {
              want.push(tr.at);
              break;
            }
          }
          want.sort((a, b) => a - b);
        }
        const got = r.starts.filter((s) => s.job === name).map((s) => s.scheduledAt).filter((t) =>
          t < to - 3000
        );
        const same = got.length === want.length && got.every((t, i) => t === want[i]);
        result.check(
          same,
          () =>
            `DST ${tz} ${new Date(tr.at).toISOString()} (${
              tr.jump / MIN
            } min) ${name} "${j.cron}": got ${
              got.map((t) => new Date(t).toISOString()).join(",")
            } want ${want.map((t) => new Date(t).toISOString()).join(",")}`,
        );
      }
      result.check(dupes(r.starts).length === 0, `DST ${tz}: duplicate occurrences`);
      await r.engine.shutdown({ timeout: 0 });
    }
  }
  return checked;
}

// ------------------------------------------------------------------ month ends and leap days

async function monthEnds(ctx: CaseContext, result: Result): Promise<number> {
  const from = Date.UTC(2027, 11, 15);
  const to = Date.UTC(2029, 2, 15);
  const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const jobs: Record<
    string,
    { cron: string; tz: string; want: (y: number, m: number, d: number) => boolean; h?: number }
  > = {
    day31: { cron: "0 0 31 * *", tz: "UTC", want: (_y, _m, d) => d === 31 },
    last: { cron: "0 0 L * *", tz: "UTC", want: (y, m, d) => d === lastDay(y, m) },
    lastRome: { cron: "0 0 L * *", tz: "Europe/Rome", want: (y, m, d) => d === lastDay(y, m) },
    leap: { cron: "0 12 29 2 *", tz: "UTC", want: (_y, m, d) => m === 1 && d === 29, h: 12 },
    lastFeb: { cron: "0 0 L 2 *", tz: "UTC", want: (y, m, d) => m === 1 && d === lastDay(y, 1) },
    day30: { cron: "0 0 30 * *", tz: "UTC", want: (_y, _m, d) => d === 30 },
    day29: { cron: "0 0 29 * *", tz: "UTC", want: (_y, _m, d) => d === 29 },
    monthly: { cron: "@monthly", tz: "UTC", want: (_y, _m, d) => d === 1 },
    lastFriday: {
      cron: "0 0 * * 5L",
      tz: "UTC",
      want: (y, m, d) => new Date(Date.UTC(y, m, d)).getUTCDay() === 5 && d + 7 > lastDay(y, m),
    },
  };
  const defs: Record<string, JobOptions> = {};
  for (const [n, j] of Object.entries(jobs)) defs[n] = { cron: j.cron, timezone: j.tz };
  const r = await rig(from, defs, ctx.rng.fork());
  await runUntil(r, to);
  let checked = 0;
  for (const [name, j] of Object.entries(jobs)) {
    result.count();
    const want: string[] = [];
    for (let t = from; t < to; t += DAY) {
      const d = new Date(t);
      if (j.want(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())) {
        want.push(`${d.toISOString().slice(0, 10)} ${String(j.h ?? 0).padStart(2, "0")}:00`);
      }
    }
    const got = r.starts.filter((s) => s.job === name).map((s) => {
      const l = local(j.tz, s.scheduledAt);
      return `${l.y}-${String(l.mo).padStart(2, "0")}-${String(l.d).padStart(2, "0")} ${
        String(l.h).padStart(2, "0")
      }:${String(l.mi).padStart(2, "0")}`;
    }).filter((x) => x >= new Date(from).toISOString().slice(0, 10));
    checked += got.length;
    result.check(
      got.join(",") === want.join(","),
      () => `month ends: ${name} "${j.cron}" (${j.tz}) got ${got.join(",")} want ${want.join(",")}`,
    );
  }
  await r.engine.shutdown({ timeout: 0 });
  return checked;
}

/** The case. */
export const clock: TortureCase = {
  name: "clock",
  title: "clock jumps (sleep, 30-day outage, NTP steps back), DST, leap days, month ends",
  async run(ctx: CaseContext, result: Result): Promise<void> {
    const t0 = performance.now();
    const catchups = await forwardJumps(ctx, result, ctx.quick ? 8 : 40);
    result.figure("forward-jump rounds", ctx.quick ? 8 : 40);
    result.figure("catch-ups checked", catchups);
    await backwardSteps(ctx, result, ctx.quick ? 6 : 30);
    result.figure("backward-step rounds", ctx.quick ? 6 : 30);
    const dstJobs = await dst(ctx, result);
    result.figure("DST job-transitions", dstJobs);
    const monthRuns = await monthEnds(ctx, result);
    result.figure("month-end/leap runs", monthRuns);
    result.figure("ms", Math.round(performance.now() - t0));
  },
};
