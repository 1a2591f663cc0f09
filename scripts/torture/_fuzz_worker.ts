/**
 * The synchronous fuzz targets of the hostile_input case, run in a Worker so that a hang (an
 * endless loop in parsing or schedule maths) is caught by the main thread's watchdog: before
 * each case the worker posts what it is about to try, and the main thread terminates it when
 * no message comes for a while.
 *
 * Every target either accepts an input or refuses it with a `KronError` (whose message is one
 * line); anything else thrown is a failure. Accepted definitions are then run on an engine
 * over a FakeClock, which must not throw either.
 *
 * @module
 */
import { KronError } from "../../src/errors.ts";
import { compileSchedule, parseDuration } from "../../src/schedule/mod.ts";
import { parseTomlJobFile } from "../../src/jobs/toml_loader.ts";
import {
  JOB_FIELDS,
  JOB_NAME_PATTERN,
  type RawJobFile,
  validateJobFile,
} from "../../src/jobs/validate.ts";
import { verifyJobFile } from "../../src/jobs/runtime.ts";
import { runLogPath } from "../../src/jobs/run_log.ts";
import type { JobFile } from "../../src/jobs/job_file.ts";
import { Engine } from "../../src/engine/engine.ts";
import { FakeClock } from "../../src/engine/clock.ts";
import type { JobOptions } from "../../src/engine/types.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { Rng } from "./_common.ts";
import {
  hostileCron,
  hostileDuration,
  hostileName,
  hostileString,
  hostileValue,
  mutate,
} from "./_fuzz.ts";
import { ZONES } from "./cron_crosscheck.ts";

/** A request to the worker. */
export interface FuzzRequest {
  category: "cron" | "duration" | "toml" | "tsdefs" | "names";
  seed: number;
  n: number;
  /** Resume after a hang at this index. */
  from: number;
}

/** What the worker reports at the end. */
export interface FuzzReport {
  cases: number;
  accepted: number;
  refused: number;
  failures: string[];
  /** Longest single case, ms. */
  maxMs: number;
  /** Longest error message seen. */
  maxMessage: number;
}

/** The worker's global scope (the file is type-checked with the window's types). */
const scope = globalThis as unknown as {
  postMessage(message: unknown): void;
  onmessage: ((e: MessageEvent<FuzzRequest>) => void) | null;
};

const ALL = { read: true, write: true, net: true, env: true, run: true, sys: true };

function show(x: unknown): string {
  let s: string;
  try {
    s = typeof x === "string"
      ? JSON.stringify(x)
      : JSON.stringify(x, (_k, v) => typeof v === "function" ? "[fn]" : v) ?? String(x);
  } catch {
    s = String(x);
  }
  return s.length > 300 ? s.slice(0, 300) + `…(${s.length})` : s;
}

class Run {
  report: FuzzReport = { cases: 0, accepted: 0, refused: 0, failures: [], maxMs: 0, maxMessage: 0 };

  /** Runs one case: `fn` returns normally (accepted) or throws a KronError (refused). */
  case(input: unknown, fn: () => void): boolean {
    this.report.cases++;
    const t0 = performance.now();
    let ok = false;
    try {
      fn();
      this.report.accepted++;
      ok = true;
    } catch (e) {
      if (e instanceof KronError) {
        this.report.refused++;
        this.report.maxMessage = Math.max(this.report.maxMessage, e.message.length);
        if (e.message.includes("\n") || e.message.trim() === "") {
          this.fail(`unclear error for ${show(input)}: ${show(e.message)}`);
        }
      } else {
        this.fail(
          `${e instanceof Error ? e.name : typeof e} for ${show(input)}: ${
            e instanceof Error ? (e.stack ?? e.message).slice(0, 600) : String(e)
          }`,
        );
      }
    }
    this.report.maxMs = Math.max(this.report.maxMs, performance.now() - t0);
    return ok;
  }

  fail(message: string): void {
    if (this.report.failures.length < 30) this.report.failures.push(message);
    else this.report.failures[29] = `… and more (last: ${message.slice(0, 200)})`;
  }
}

function post(i: number, input: unknown): void {
  scope.postMessage({ kind: "case", i, input: show(input) });
}

function cron(rng: Rng, n: number, from: number, r: Run): void {
  for (let i = 0; i < n; i++) {
    const expr = hostileCron(rng);
    const tz = rng.chance(0.8) ? rng.pick(ZONES) : hostileString(rng);
    const start = rng.int(-1e12, 5e12);
    if (i < from) continue;
    post(i, { cron: expr, timezone: tz });
    r.case({ cron: expr, timezone: tz }, () => {
      const s = compileSchedule({ cron: expr, timezone: tz });
      s.describe();
      let c: number | null = start;
      for (let k = 0; k < 3 && c !== null; k++) {
        const t = s.next(c, start);
        if (t !== null && !(t > c)) throw new Error(`next(${c}) = ${t} is not after the cursor`);
        c = t;
      }
      s.latest(start + 86_400_000, start, start);
    });
  }
}

function duration(rng: Rng, n: number, from: number, r: Run): void {
  for (let i = 0; i < n; i++) {
    const d = hostileDuration(rng);
    if (i < from) continue;
    post(i, d);
    r.case(d, () => {
      const ms = parseDuration(d, "every");
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`parseDuration(${show(d)}) = ${ms}`);
      // And as a schedule: its arithmetic must stay within dates.
      const s = compileSchedule({ every: d });
      const anchor = Date.UTC(2026, 0, 1);
      const t = s.next(null, anchor);
      if (t !== null) s.next(t, anchor);
      s.latest(anchor + 86_400_000, anchor, anchor);
    });
  }
}

const TOML_VALUES = [
  '"x"',
  '""',
  '"\\u0000"',
  '"a\\nb"',
  "'''multi\nline'''",
  "99999999999999999999",
  "9223372036854775807",
  "-1",
  "-0",
  "0",
  "3.5",
  "inf",
  "-inf",
  "nan",
  "true",
  "1979-05-27T07:32:00Z",
  "1979-05-27T07:32:00",
  "1979-05-27",
  "07:32:00",
  "[]",
  '[1, "a"]',
  "[[1]]",
  "{}",
  "{ a = 1 }",
  '"0 2 * * *"',
  '"30m"',
  '"../../etc"',
  '"$(id)"',
];

const TOML_BASE = `[kron]
timezone = "Europe/Rome"
log_format = "text"
durability = "fsync"
shutdown_timeout = "30s"

[[job]]
name = "backup"
cron = "0 2 * * *"
timezone = "UTC"
command = ["rsync", "-a", "data/", "/mnt/backup/"]
timeout = "1h"
retries = 2
retry_delay = "1m"
on_error = "stop"
max_failures = 3
overlap = "skip"
misfire = "run_once"
misfire_grace = "6h"
history_limit = 100
on_failure = "https://hooks.example.com/kron"

[[job]]
name = "cleanup"
every = "15m"
start_at = 2026-01-01T00:05:00
command = "find /tmp -name '*.tmp' -delete"
shell = true
jitter = "30s"
env = { TMPDIR = "/tmp/app" }

[job.permissions]
net = ["api.example.com"]
read = false

[[job]]
name = "once"
after = "10s"
command = ["true"]
`;

function hostileToml(rng: Rng): string {
  const lines = TOML_BASE.split("\n");
  const k = rng.int(1, 4);
  for (let j = 0; j < k; j++) {
    const at = rng.int(0, lines.length - 1);
    switch (rng.int(0, 5)) {
      case 0: {
        // Replace a value.
        const eq = lines[at].indexOf("=");
        if (eq > 0) {
          lines[at] = lines[at].slice(0, eq + 1) + " " +
            (rng.chance(0.7) ? rng.pick(TOML_VALUES) : JSON.stringify(hostileString(rng)));
        }
        break;
      }
      case 1:
        lines.splice(at, 1);
        break;
      case 2:
        lines.splice(at, 0, lines[rng.int(0, lines.length - 1)]);
        break;
      case 3:
        lines.splice(
          at,
          0,
          `${rng.pick([...JOB_FIELDS, "unknown_key", "RETRIES", "name"])} = ${
            rng.pick(TOML_VALUES)
          }`,
        );
        break;
      case 4:
        lines[at] = mutate(rng, lines[at]);
        break;
      default:
        lines.splice(
          at,
          0,
          rng.pick([
            "[[job]]",
            "[kron]",
            "[job.permissions]",
            "[[kron]]",
            "[job]",
            "[[job.x]]",
            'name = "dup"',
          ]),
        );
    }
  }
  return lines.join("\n");
}

function toml(rng: Rng, n: number, from: number, r: Run, engines: EngineRun): void {
  for (let i = 0; i < n; i++) {
    const text = rng.chance(0.05) ? hostileString(rng, 8) : hostileToml(rng);
    if (i < from) continue;
    post(i, text);
    let file: JobFile | null = null;
    const ok = r.case(text, () => {
      file = validateJobFile(parseTomlJobFile("jobs.toml", text));
      verifyJobFile(file, ALL);
    });
    if (ok && file) engines.run(file, r, text);
  }
}

const ODD_BUT_LEGAL: Record<string, unknown[]> = {
  retries: [0, 1, 5, 1000],
  retryDelay: ["1ms", "0", "1d", 1],
  retryMaxDelay: ["1ms", "1w", 0],
  timeout: ["1ms", "1", "1w", 1],
  jitter: ["1ms", "1d", "1w", 0],
  misfireGrace: ["0", "1ms", "1w", "1000d"],
  misfire: ["skip", "run_once"],
  overlap: ["allow", "replace", true, false, "skip"],
  onError: ["backoff", "stop", "continue"],
  maxFailures: [1, 100],
  historyLimit: [1, 0, 1_000_000],
  paused: [true, false],
  startAt: ["2026-03-29T02:30:00", "1970-01-01T00:00:00Z", "2099-12-31T23:59:59Z", 0],
  timezone: ["Europe/Rome", "Australia/Lord_Howe", "Pacific/Kiritimati", "UTC"],
};

function hostileDef(rng: Rng): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  const schedule = rng.pick(["cron", "every", "after", "at", null, "both"]);
  if (schedule === "cron" || schedule === "both") {
    d.cron = rng.chance(0.5) ? hostileCron(rng) : "*/5 * * * *";
  }
  if (schedule === "every" || schedule === "both") {
    d.every = rng.chance(0.5) ? hostileDuration(rng) : "30m";
  }
  if (schedule === "after") d.after = rng.chance(0.5) ? hostileDuration(rng) : "10s";
  if (schedule === "at") d.at = rng.chance(0.5) ? hostileValue(rng) : "2030-01-01T00:00:00Z";
  if (rng.chance(0.6)) d.run = rng.chance(0.9) ? () => {} : hostileValue(rng);
  else {d.command = rng.chance(0.5)
      ? ["true", ...(rng.chance(0.3) ? [hostileString(rng)] : [])]
      : hostileValue(rng);}
  if (rng.chance(0.5)) {
    // Mostly valid, with odd-but-legal policy values: these reach the engine.
    const k = rng.int(0, 3);
    for (let j = 0; j < k; j++) {
      const [field, values] = rng.pick(Object.entries(ODD_BUT_LEGAL));
      d[field] = rng.pick(values);
    }
    return d;
  }
  const k = rng.int(0, 5);
  for (let j = 0; j < k; j++) {
    const field = rng.pick([...JOB_FIELDS, "unknown", "__proto__", "constructor"]);
    d[field] = rng.chance(0.3) ? hostileDuration(rng) : hostileValue(rng);
  }
  return d;
}

function tsdefs(rng: Rng, n: number, from: number, r: Run, engines: EngineRun): void {
  for (let i = 0; i < n; i++) {
    const jobs: [string, unknown][] = [];
    const count = rng.int(1, 3);
    for (let j = 0; j < count; j++) {
      jobs.push([
        rng.chance(0.7) ? `job${j}` : hostileName(rng),
        rng.chance(0.95) ? hostileDef(rng) : hostileValue(rng),
      ]);
    }
    const settings = rng.chance(0.3)
      ? (rng.chance(0.5)
        ? {
          timezone: rng.pick([...ZONES, hostileString(rng)]),
          shutdownTimeout: hostileDuration(rng),
        }
        : hostileValue(rng))
      : undefined;
    if (i < from) continue;
    const raw: RawJobFile = {
      file: "jobs.ts",
      kind: "ts",
      settings: settings === undefined
        ? null
        : { data: settings, key: null, line: null, fieldLine: () => null },
      jobs: jobs.map(([key, data]) => ({ data, key, line: null, fieldLine: () => null })),
    };
    post(i, { settings, jobs });
    let file: JobFile | null = null;
    const ok = r.case({ settings, jobs }, () => {
      file = validateJobFile(raw);
      verifyJobFile(file, ALL);
    });
    if (ok && file) engines.run(file, r, { jobs });
    // Own __proto__ keys must never reach Object.prototype.
    if (
      (Object.prototype as Record<string, unknown>).polluted !== undefined ||
      ({} as Record<string, unknown>).run !== undefined
    ) {
      r.fail(`prototype polluted by ${show({ jobs })}`);
    }
  }
}

function names(rng: Rng, n: number, from: number, r: Run): void {
  let engine = new Engine({ store: new MemoryStore() });
  for (let i = 0; i < n; i++) {
    const name = hostileName(rng);
    if (i < from) continue;
    post(i, name);
    if (i % 500 === 0) engine = new Engine({ store: new MemoryStore() });
    const valid = JOB_NAME_PATTERN.test(name);
    const accepted = r.case(name, () => engine.define(name, { every: "1h" }, () => {}));
    if (accepted !== valid) {
      r.fail(
        `engine ${accepted ? "accepted" : "refused"} ${show(name)} but the name rule says ${valid}`,
      );
    }
    if (accepted) engine.undefine(name);
    // The same name in a TOML file.
    const tomlOk = r.case(name, () => {
      validateJobFile(
        parseTomlJobFile(
          "jobs.toml",
          `[[job]]\nname = ${JSON.stringify(name)}\nevery = "1h"\ncommand = ["true"]\n`,
        ),
      );
    });
    if (tomlOk !== valid) {
      r.fail(
        `jobs.toml ${tomlOk ? "accepted" : "refused"} name ${
          show(name)
        } but the name rule says ${valid}`,
      );
    }
    // A valid name's run log stays one directory below the log dir.
    if (valid) {
      r.case(name, () => {
        const p = runLogPath("/data/runs", name, "01JX0000000000000000000000");
        const rel = p.slice("/data/runs/".length).split("/");
        if (!p.startsWith("/data/runs/") || rel.length !== 2 || rel[0] === ".." || rel[0] === ".") {
          throw new Error(`run log path ${p} escapes the log dir`);
        }
      });
    }
  }
}

/** Runs accepted job files on a FakeClock engine: valid-but-odd values must not crash it. */
class EngineRun {
  runs = 0;
  readonly #budget: number;
  readonly #queue: { file: JobFile; input: unknown }[] = [];
  constructor(budget: number) {
    this.#budget = budget;
  }

  run(file: JobFile, _r: Run, input: unknown): void {
    if (this.#queue.length < this.#budget) this.#queue.push({ file, input });
  }

  /** One after the other, each step announced first: a step that never returns is named. */
  async drain(r: Run): Promise<void> {
    for (const { file, input } of this.#queue) {
      this.runs++;
      const where = (stage: string) =>
        post(-1, `engine run ${this.runs} (${stage}) of ${show(input)}`);
      const clock = new FakeClock(Date.UTC(2026, 2, 29, 0, 30));
      const engine = new Engine({
        store: new MemoryStore(),
        clock,
        defaultTimezone: file.settings.timezone ?? "UTC",
      });
      where("define");
      const ok = r.case(input, () => {
        for (const def of file.jobs) {
          engine.define(def.name, def.options as JobOptions, () => {}, {
            kind: def.command ? "command" : "function",
          });
        }
      });
      if (!ok) continue;
      try {
        where("start");
        await engine.start();
        // Big jumps (machine sleeps) keep this cheap and walk the misfire paths too.
        for (let k = 0; k < 4; k++) {
          where(`advance ${k}`);
          await clock.advance(2000);
          clock.jump(6 * 3_600_000);
          await clock.advance(2000);
          for (const s of engine.list()) s.nextRunAt?.toISOString();
        }
        where("shutdown");
        await engine.shutdown({ timeout: 0 });
      } catch (e) {
        if (!(e instanceof KronError)) {
          r.fail(
            `engine threw ${e instanceof Error ? e.stack?.slice(0, 500) : e} running ${
              show(input)
            }`,
          );
        }
      }
    }
  }
}

scope.onmessage = async (e: MessageEvent<FuzzRequest>) => {
  const { category, seed, n, from } = e.data;
  const rng = new Rng(seed);
  const r = new Run();
  const engines = new EngineRun(category === "toml" || category === "tsdefs" ? 300 : 0);
  if (category === "cron") cron(rng, n, from, r);
  else if (category === "duration") duration(rng, n, from, r);
  else if (category === "toml") toml(rng, n, from, r, engines);
  else if (category === "tsdefs") tsdefs(rng, n, from, r, engines);
  else names(rng, n, from, r);
  await engines.drain(r);
  scope.postMessage({ kind: "done", report: r.report, engineRuns: engines.runs });
};
