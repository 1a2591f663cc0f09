/**
 * Shared pieces of the torture harness: the seeded random source every case draws from, the
 * shape of a case and its result, and helpers to start the real kron CLI with the exact
 * permission flags of deno.json's `kron` task (the harness itself runs with `-A`; nothing it
 * starts as kron does).
 *
 * @example
 * ```ts
 * import { Rng } from "./_common.ts";
 * const rng = new Rng(42);
 * rng.int(0, 10); // the same number for the same seed, every time
 * ```
 * @module
 */
import { sleep, until as poll } from "../../tests/_util/poll.ts";
import { kronTaskFlags } from "../../src/cli/self.ts";

/** The repository root (where deno.json and main.ts are). */
export const ROOT: string = new URL("../../", import.meta.url).pathname;
/** The CLI entry point. */
export const MAIN: string = `${ROOT}main.ts`;

/**
 * A small, fast, seedable PRNG (sfc32 seeded through splitmix32). Every random choice of a
 * case comes from one of these, so a seed reproduces the whole run.
 *
 * @example
 * ```ts
 * import { Rng } from "./_common.ts";
 * const rng = new Rng(7);
 * const pick = rng.pick(["a", "b", "c"]);
 * ```
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** Seeds the generator; any 32-bit integer. */
  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = mix();
    this.#b = mix();
    this.#c = mix();
    this.#d = mix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [lo, hi] (both included). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A child generator with its own stream (so adding draws in one place shifts no other). */
  fork(): Rng {
    return new Rng(this.u32());
  }
}

/**
 * A seed for one case, derived from the run's seed and the case's name, so that running a
 * single case (`--only`) replays exactly what the full run did for it.
 *
 * @example
 * ```ts
 * import { caseSeed } from "./_common.ts";
 * caseSeed(1234, "crash_loop"); // stable
 * ```
 */
export function caseSeed(seed: number, name: string): number {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * What a case gets from the harness.
 *
 * @example
 * ```ts
 * import type { CaseContext } from "./_common.ts";
 * function sizeOf(ctx: CaseContext) { return ctx.quick ? 20 : 200; }
 * ```
 */
export interface CaseContext {
  /** The quick slice (CI): fewer iterations, same checks. */
  quick: boolean;
  /** This case's seed (already derived from the run seed). */
  seed: number;
  /** Seeded randomness for this case. */
  rng: Rng;
  /** A fresh temp dir for this case, removed afterwards. */
  tmp: string;
  /** Progress lines (stderr), prefixed with the case name. */
  log(message: string): void;
}

/**
 * What a case reports: how many checks it ran, which failed (first few messages), and the
 * measured figures for the summary table.
 *
 * @example
 * ```ts
 * import { Result } from "./_common.ts";
 * const r = new Result();
 * r.check(1 + 1 === 2, "arithmetic");
 * r.figure("kills", 20);
 * ```
 */
export class Result {
  /** Cases (iterations, inputs, scenarios) run. */
  cases = 0;
  /** Failed checks. */
  failures = 0;
  /** First failure messages (capped). */
  readonly messages: string[] = [];
  /** Figures in insertion order, shown as `key value` in the table. */
  readonly figures = new Map<string, string | number>();
  /** Notes that are not failures (e.g. a skipped sub-case and why). */
  readonly notes: string[] = [];

  /** Counts one case. */
  count(n = 1): void {
    this.cases += n;
  }

  /** Records a failure unless `ok`; returns `ok`. */
  check(ok: boolean, message: string | (() => string)): boolean {
    if (!ok) this.fail(typeof message === "string" ? message : message());
    return ok;
  }

  /** Records a failure. */
  fail(message: string): void {
    this.failures++;
    if (this.messages.length < 50) {
      this.messages.push(message.length > 800 ? message.slice(0, 800) + "…" : message);
    }
  }

  /** Sets a figure. */
  figure(key: string, value: string | number): void {
    this.figures.set(key, value);
  }

  /** Adds a note. */
  note(text: string): void {
    this.notes.push(text);
  }
}

/**
 * One torture case: a name, a one-line description, and its run function.
 *
 * @example
 * ```ts
 * import type { TortureCase } from "./_common.ts";
 * const noop: TortureCase = { name: "noop", title: "does nothing", run: async () => {} };
 * ```
 */
export interface TortureCase {
  name: string;
  title: string;
  run(ctx: CaseContext, result: Result): Promise<void>;
}

/**
 * The deno flags of deno.json's `kron` task: what the real binary runs with.
 *
 * @example
 * ```ts
 * import { kronFlags } from "./_common.ts";
 * kronFlags().includes("--allow-all"); // false
 * ```
 */
export const kronFlags = kronTaskFlags;

/**
 * Options for starting the CLI.
 *
 * @example
 * ```ts
 * const o: KronProcessOptions = { cwd: "/tmp/p", dataDir: "/tmp/p/.kron" };
 * ```
 */
export interface KronProcessOptions {
  cwd: string;
  /** KRON_DATA_DIR. */
  dataDir?: string;
  env?: Record<string, string>;
}

function kronCommand(args: string[], opts: KronProcessOptions, piped: boolean): Deno.Command {
  const env: Record<string, string> = { NO_COLOR: "1", ...opts.env };
  if (opts.dataDir) env.KRON_DATA_DIR = opts.dataDir;
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...kronFlags(), MAIN, ...args],
    cwd: opts.cwd,
    env,
    stdin: "null",
    stdout: piped ? "piped" : "null",
    stderr: piped ? "piped" : "null",
  });
}

/**
 * Output of one finished CLI command.
 *
 * @example
 * ```ts
 * const r: CliOutput = { code: 0, stdout: "", stderr: "", ms: 12 };
 * ```
 */
export interface CliOutput {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs one kron CLI command to completion (killed after `timeoutMs`).
 *
 * @example
 * ```ts
 * import { kronCli } from "./_common.ts";
 * const r = await kronCli(["version"], { cwd: "." });
 * ```
 */
export async function kronCli(
  args: string[],
  opts: KronProcessOptions,
  timeoutMs = 30_000,
): Promise<CliOutput> {
  const t0 = performance.now();
  const child = kronCommand(args, opts, true).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
  }, timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    code: out.signal ? -1 : out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ms: performance.now() - t0,
  };
}

/**
 * A long-running `kron …` process whose output is collected as it comes.
 *
 * @example
 * ```ts
 * import { KronProcess } from "./_common.ts";
 * const p = new KronProcess(["run", "jobs.toml"], { cwd: "/tmp/p" });
 * await p.waitFor(/ running \d+ jobs/);
 * await p.stop();
 * ```
 */
export class KronProcess {
  /** The child. */
  readonly child: Deno.ChildProcess;
  /** Collected stdout. */
  stdout = "";
  /** Collected stderr (kron's log). */
  stderr = "";
  /** The exit status. */
  readonly done: Promise<Deno.CommandStatus>;
  #pumps: Promise<void>[];
  #exited = false;

  /** Spawns `kron <args>` with the kron task's flags. */
  constructor(args: string[], opts: KronProcessOptions) {
    this.child = kronCommand(args, opts, true).spawn();
    const pump = async (s: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
      const dec = new TextDecoder();
      try {
        for await (const chunk of s) {
          this[key] += dec.decode(chunk, { stream: true });
          // Keep memory bounded on chatty runs: the tail is what waitFor needs.
          if (this[key].length > 4_000_000) this[key] = this[key].slice(-1_000_000);
        }
      } catch {
        // The pipe broke with the process.
      }
    };
    this.#pumps = [pump(this.child.stdout, "stdout"), pump(this.child.stderr, "stderr")];
    this.done = this.child.status.then((s) => {
      this.#exited = true;
      return s;
    });
  }

  /** The pid. */
  get pid(): number {
    return this.child.pid;
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Waits until `stream` matches `re`; throws with the output tail after `timeoutMs`. */
  async waitFor(
    re: RegExp,
    timeoutMs = 20_000,
    stream: "stdout" | "stderr" = "stderr",
  ): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const m = this[stream].match(re);
      if (m) return m;
      if (this.#exited) {
        await Promise.all(this.#pumps);
        const again = this[stream].match(re);
        if (again) return again;
        throw new Error(`kron exited before ${re}: ${this.stderr.slice(-2000)}`);
      }
      await sleep(20);
    }
    throw new Error(`timed out waiting for ${re}: ${this.stderr.slice(-2000)}`);
  }

  /** Sends `signal` (default SIGTERM), waits for the exit, returns the status. */
  async stop(signal: Deno.Signal = "SIGTERM", timeoutMs = 30_000): Promise<Deno.CommandStatus> {
    try {
      this.child.kill(signal);
    } catch {
      // Already exited.
    }
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // exited
      }
    }, timeoutMs);
    const status = await this.done;
    clearTimeout(timer);
    await Promise.all(this.#pumps);
    return status;
  }
}

/**
 * Sleeps, and polls until a condition holds (20 s, every 50 ms, by default here).
 *
 * @example
 * ```ts
 * import { sleep, until } from "./_common.ts";
 * await sleep(10);
 * await until(() => true, "truth");
 * ```
 */
export { sleep };
export function until<T>(
  fn: () => Promise<T> | T,
  what: string,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  return poll(fn, what, timeoutMs, everyMs);
}

/**
 * Rejects with a timeout error when `p` takes longer than `ms` (a hang is a failure).
 *
 * @example
 * ```ts
 * import { withTimeout } from "./_common.ts";
 * await withTimeout(Promise.resolve(1), 100, "one");
 * ```
 */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The `q` quantile (0–1) of `values` (sorted copy; nearest rank).
 *
 * @example
 * ```ts
 * import { quantile } from "./_common.ts";
 * quantile([1, 2, 3, 4], 0.5); // 2
 * ```
 */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Whether a process is alive (a zombie counts as gone). The harness runs with `-A`, so it may
 * read `/proc` (kron itself may not).
 *
 * @example
 * ```ts
 * import { alive } from "./_common.ts";
 * alive(Deno.pid); // true
 * ```
 */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * One record of the event log, as parsed JSON.
 *
 * @example
 * ```ts
 * const r: LogRecord = { seq: 1, type: "RUNTIME_STARTED", time: "…" };
 * ```
 */
export interface LogRecord {
  seq: number;
  type: string;
  time: string;
  [k: string]: unknown;
}

/**
 * Every complete, parseable record of a data dir's log segments, in order (a torn tail is
 * skipped). For checks only: recovery itself verifies checksums.
 *
 * @example
 * ```ts
 * import { logRecords } from "./_common.ts";
 * const types = logRecords("/tmp/p/.kron").map((r) => r.type);
 * ```
 */
export function logRecords(dataDir: string): LogRecord[] {
  const out: LogRecord[] = [];
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(`${dataDir}/log`)].map((e) => e.name).filter((n) =>
      n.endsWith(".ndjson")
    ).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const text = Deno.readTextFileSync(`${dataDir}/log/${name}`);
    const end = text.lastIndexOf("\n");
    for (const line of text.slice(0, end + 1).split("\n")) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // A damaged line: the checks that care use recovery, not this.
      }
    }
  }
  return out;
}

/**
 * Every path under `dir` (files and dirs), for "nothing written outside" checks.
 *
 * @example
 * ```ts
 * import { listTree } from "./_common.ts";
 * const before = listTree("/tmp/p");
 * ```
 */
export function listTree(dir: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return;
    }
    for (const e of entries) {
      const p = `${d}/${e.name}`;
      out.add(p);
      if (e.isDirectory) walk(p);
    }
  };
  walk(dir);
  return out;
}

const wallFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * The wall-clock fields of instant `t` in zone `tz`, from Intl (independent of kron's zone code).
 *
 * @example
 * ```ts
 * import { wallParts } from "./_common.ts";
 * wallParts("Europe/Rome", Date.UTC(2026, 0, 1, 12)).h; // 13
 * ```
 */
export function wallParts(
  tz: string,
  t: number,
): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  let f = wallFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    wallFormats.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const x of f.formatToParts(new Date(t))) {
    if (x.type !== "literal") p[x.type] = Number(x.value);
  }
  return { y: p.year, mo: p.month, d: p.day, h: p.hour, mi: p.minute, s: p.second };
}
