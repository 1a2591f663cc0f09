/**
 * Small helpers shared by the benchmark harness: statistics, precise wall time, running one
 * measurement in a fresh child process, formatting.
 *
 * @example
 * ```ts
 * import { median, percentile } from "./_util.ts";
 * median([3, 1, 2]); // 2
 * percentile([1, 2, 3, 4], 0.99); // 4
 * ```
 * @module
 */
import { kronTaskFlags } from "../../src/cli/self.ts";

/**
 * The `p` quantile (0..1) of an ascending array, nearest rank; NaN when empty.
 *
 * @example
 * ```ts
 * import { percentile } from "./_util.ts";
 * percentile([1, 2, 3], 0.5); // 2
 * ```
 */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(sorted.length - 1, rank - 1)];
}

/**
 * Median of the finite values (NaN when none).
 *
 * @example
 * ```ts
 * import { median } from "./_util.ts";
 * median([5, 1, 3, NaN]); // 3
 * ```
 */
export function median(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Wall-clock epoch milliseconds with sub-millisecond precision (Date.now() is whole ms, which
 * would round every lateness figure of a few ms by up to 1 ms).
 *
 * @example
 * ```ts
 * import { preciseNow } from "./_util.ts";
 * Math.abs(preciseNow() - Date.now()) < 5; // true
 * ```
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Summary of a lateness sample in ms: count, p50, p99, max (3 decimals).
 *
 * @example
 * ```ts
 * import { summarize } from "./_util.ts";
 * summarize([1, 2, 3]).p50; // 2
 * ```
 */
export function summarize(
  values: number[],
): { n: number; p50: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    n: s.length,
    p50: r3(percentile(s, 0.5)),
    p99: r3(percentile(s, 0.99)),
    max: r3(s.length ? s[s.length - 1] : NaN),
  };
}

/**
 * A histogram of lateness values: counts per bucket of `width` ms, starting at `from`.
 *
 * @example
 * ```ts
 * import { histogram } from "./_util.ts";
 * histogram([0.2, 0.7, 1.5], 1, 0, 3); // [2, 1, 0]
 * ```
 */
export function histogram(
  values: number[],
  width: number,
  from: number,
  buckets: number,
): number[] {
  const out = new Array(buckets).fill(0);
  for (const v of values) {
    const i = Math.floor((v - from) / width);
    out[Math.max(0, Math.min(buckets - 1, i))]++;
  }
  return out;
}

/**
 * The V8 flags kron ships with (from deno.json's kron task, which the binary and the daemon
 * use), plus `extra`, as one `--v8-flags=` argument: kron's subjects are measured as shipped.
 *
 * @example
 * ```ts
 * import { kronV8Flags } from "./_util.ts";
 * kronV8Flags(["--expose-gc"]); // ["--v8-flags=--max-semi-space-size=8,--expose-gc"]
 * ```
 */
export function kronV8Flags(extra: string[] = []): string[] {
  const shipped = kronTaskFlags()
    .filter((f) => f.startsWith("--v8-flags="))
    .flatMap((f) => f.slice("--v8-flags=".length).split(","));
  const all = [...shipped, ...extra];
  return all.length ? [`--v8-flags=${all.join(",")}`] : [];
}

/** Options of {@link runChild}. */
export interface ChildOptions {
  /** Extra `deno run` flags before the script (default `-A`). */
  flags?: string[];
  /** Kill the child after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Environment additions. */
  env?: Record<string, string>;
}

const HERE = new URL(".", import.meta.url).pathname;

/**
 * Runs `scripts/bench/child.ts <task> <json params>` in a fresh Deno process (a measurement
 * must not inherit the heap, timers or JIT state of the previous one) and returns the JSON
 * the child printed on its last stdout line. Throws with the child's stderr on failure.
 *
 * @example
 * ```ts
 * import { runChild } from "./_util.ts";
 * const r = await runChild<{ ok: boolean }>("noop", {});
 * ```
 */
export async function runChild<T>(
  task: string,
  params: unknown,
  options: ChildOptions = {},
): Promise<T> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...(options.flags ?? ["-A"]),
      `${HERE}child.ts`,
      task,
      JSON.stringify(params),
    ],
    stdout: "piped",
    stderr: "piped",
    env: options.env,
  });
  const child = cmd.spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, options.timeoutMs ?? 600_000);
  const out = await child.output();
  clearTimeout(timer);
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (!out.success) {
    throw new Error(`${task} failed (exit ${out.code}): ${lastLines(stderr || stdout, 6)}`);
  }
  const last = stdout.split("\n").at(-1) ?? "";
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${task} printed no JSON: ${lastLines(stdout + "\n" + stderr, 6)}`);
  }
}

function lastLines(text: string, n: number): string {
  return text.split("\n").slice(-n).join(" / ");
}

/**
 * Formats a number for a table: `digits` decimals, thousands separators, "–" for NaN.
 *
 * @example
 * ```ts
 * import { fmt } from "./_util.ts";
 * fmt(12345.678, 1); // "12,345.7"
 * ```
 */
export function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/**
 * Ratio `a / b` formatted as `1.23×` ("–" when undefined).
 *
 * @example
 * ```ts
 * import { ratio } from "./_util.ts";
 * ratio(3, 2); // "1.50×"
 * ```
 */
export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "–";
  return `${(a / b).toFixed(2)}×`;
}

/**
 * Resolves after `ms`.
 *
 * @example
 * ```ts
 * import { sleep } from "./_util.ts";
 * await sleep(1);
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * RSS of this process in bytes after a full GC (when `--expose-gc` was given).
 *
 * @example
 * ```ts
 * import { settledMemory } from "./_util.ts";
 * settledMemory().rss > 0; // true
 * ```
 */
export function settledMemory(): { rss: number; heapUsed: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) { for (let i = 0; i < 3; i++) gc(); }
  const m = Deno.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}
