/**
 * Real data dirs to damage: written by the engine and the durable store (in process, on a
 * FakeClock so minutes of busy schedules take a second) and by the real CLI.
 *
 * @example
 * ```ts
 * import { engineDataDir } from "./_datadirs.ts";
 * await engineDataDir("/tmp/base", { segmentBytes: 8192, compactAt: 0.5, minutes: 10, seed: 1 });
 * ```
 * @module
 */
import { Engine } from "../../src/engine/engine.ts";
import { FakeClock } from "../../src/engine/clock.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { Rng } from "./_common.ts";

/**
 * How to build an engine-written data dir.
 *
 * @example
 * ```ts
 * const o: EngineDirOptions = { segmentBytes: 8192, compactAt: 0.5, minutes: 10, seed: 1 };
 * ```
 */
export interface EngineDirOptions {
  /** Segment size: small values give many segments. */
  segmentBytes: number;
  /** Compact (write a snapshot) at this fraction of the run; null: never. */
  compactAt: number | null;
  /** Fake minutes of schedule to run. */
  minutes: number;
  seed: number;
}

/**
 * Runs a busy schedule (every/cron jobs, failures, retries, jitter, timeouts, a pause) on a
 * FakeClock against a FileStore in `dataDir`, then shuts down cleanly.
 *
 * @example
 * ```ts
 * import { engineDataDir } from "./_datadirs.ts";
 * await engineDataDir("/tmp/d", { segmentBytes: 1 << 20, compactAt: null, minutes: 5, seed: 2 });
 * ```
 */
export async function engineDataDir(dataDir: string, o: EngineDirOptions): Promise<void> {
  const rng = new Rng(o.seed);
  const clock = new FakeClock("2026-03-01T00:00:00Z");
  const store = new FileStore({ dataDir, segmentBytes: o.segmentBytes, durability: "none" });
  const engine = new Engine({ store, clock, random: () => rng.next(), defaultTimezone: "UTC" });
  const work = (fail: number) => async () => {
    await Promise.resolve();
    if (rng.chance(fail)) throw new Error("boom");
  };
  engine.define("tick", { every: "5s" }, work(0.1));
  engine.define("retry", { every: "20s", retries: 2, retryDelay: "1s" }, work(0.5));
  engine.define("jitter", { cron: "* * * * *", jitter: "10s" }, work(0));
  engine.define("cron-sec", { cron: "*/15 * * * * *", timezone: "Europe/Rome" }, work(0.2));
  engine.define(
    "slow",
    { every: "30s", timeout: "10s", overlap: "allow" },
    () => new Promise<void>((r) => clock.setTimeout(r, 15_000)),
  );
  engine.define("pausable", { every: "10s" }, work(0));
  for (let i = 0; i < 8; i++) engine.define(`busy-${i}`, { every: `${1 + i % 3}s` }, work(0.05));
  await engine.start();
  const total = o.minutes * 60_000;
  const step = 5_000;
  for (let t = 0; t < total; t += step) {
    await clock.advance(step);
    if (o.compactAt !== null && t < total * o.compactAt && t + step >= total * o.compactAt) {
      await engine.compact();
    }
    if (t === Math.floor(total / 3 / step) * step) engine.pause("pausable", { for: "1m" });
  }
  await engine.shutdown({ timeout: 0 });
}

/**
 * A data dir written by the real CLI: `kron run` on a job file with command and function jobs,
 * for about `ms`, then stopped with SIGTERM.
 *
 * @example
 * ```ts
 * import { cliDataDir } from "./_datadirs.ts";
 * await cliDataDir("/tmp/p", 1500);
 * ```
 */
export async function cliDataDir(projectDir: string, ms: number): Promise<string> {
  const { KronProcess, sleep } = await import("./_common.ts");
  await Deno.mkdir(projectDir, { recursive: true });
  Deno.writeTextFileSync(
    `${projectDir}/jobs.toml`,
    [
      `[[job]]\nname = "echo"\nevery = "100ms"\ncommand = ["echo", "hello"]\n`,
      `[[job]]\nname = "fail"\nevery = "150ms"\ncommand = ["false"]\nretries = 1\nretry_delay = "50ms"\n`,
      `[[job]]\nname = "sh"\nevery = "200ms"\ncommand = "echo $((1+1))"\nshell = true\n`,
    ].join("\n"),
  );
  const dataDir = `${projectDir}/.kron`;
  const p = new KronProcess(["run", "jobs.toml", "--allow-run"], { cwd: projectDir, dataDir });
  await p.waitFor(/ running \d+ jobs from /);
  await sleep(ms);
  await p.stop("SIGTERM");
  return dataDir;
}
