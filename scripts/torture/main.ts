/**
 * The reliability and security torture suite: `deno task torture [--quick] [--seed N]
 * [--only a,b]`. Each case (one module in this folder) drives kron under faults, load or
 * hostile input and reports how many cases it ran, which failed, and what it measured. The
 * run prints its seed first; passing it back with `--seed` replays the same choices.
 *
 * The last line is `torture: N cases, F failures`; the exit code is 1 when F > 0.
 *
 * @example
 * ```sh
 * deno task torture --quick            # the CI slice (≤ 150 s)
 * deno task torture --only crash_loop --seed 1234
 * ```
 * @module
 */
import { type CaseContext, caseSeed, Result, Rng, type TortureCase } from "./_common.ts";
import { access } from "./access.ts";
import { clock } from "./clock.ts";
import { crash_loop } from "./crash_loop.ts";
import { cron_crosscheck } from "./cron_crosscheck.ts";
import { disk_full } from "./disk_full.ts";
import { hostile_input } from "./hostile_input.ts";
import { load } from "./load.ts";
import { power_loss } from "./power_loss.ts";
import { stale_state } from "./stale_state.ts";

/** Every case, in the order they run (cheap and independent first). */
export const CASES: TortureCase[] = [
  clock,
  cron_crosscheck,
  power_loss,
  hostile_input,
  access,
  disk_full,
  stale_state,
  crash_loop,
  load,
];

interface Args {
  quick: boolean;
  seed: number;
  only: string[] | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    quick: false,
    seed: (Date.now() ^ (Math.random() * 2 ** 31)) >>> 0,
    only: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes("=")
      ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
      : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === "--quick") args.quick = true;
    else if (flag === "--seed") args.seed = Number(value()) >>> 0;
    else if (flag === "--only") args.only = value().split(",").filter(Boolean);
    else {
      console.error(`torture: unknown argument ${a} (use --quick, --seed N, --only a,b)`);
      Deno.exit(2);
    }
  }
  return args;
}

function fmtFigures(r: Result): string {
  return [...r.figures].map(([k, v]) => `${k} ${v}`).join(", ");
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

async function main(): Promise<number> {
  const args = parseArgs(Deno.args);
  const selected = args.only ? CASES.filter((c) => args.only!.includes(c.name)) : CASES;
  if (args.only && selected.length !== args.only.length) {
    console.error(`torture: unknown case in --only; cases: ${CASES.map((c) => c.name).join(", ")}`);
    return 2;
  }
  console.log(
    `torture: seed ${args.seed}${args.quick ? " (quick)" : ""}; replay with --seed ${args.seed}`,
  );
  const rows: { name: string; result: Result; ms: number }[] = [];
  const t0 = performance.now();
  for (const c of selected) {
    const seed = caseSeed(args.seed, c.name);
    const tmp = await Deno.makeTempDir({ prefix: `kt-${c.name.slice(0, 6)}-` });
    const result = new Result();
    const ctx: CaseContext = {
      quick: args.quick,
      seed,
      rng: new Rng(seed),
      tmp,
      log: (m) => console.error(`[${c.name}] ${m}`),
    };
    const t = performance.now();
    ctx.log(`${c.title} (seed ${seed})`);
    try {
      await c.run(ctx, result);
    } catch (e) {
      // A case that throws is a failure of the case, not of the harness: report and go on.
      result.fail(`case threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    const ms = performance.now() - t;
    rows.push({ name: c.name, result, ms });
    for (const m of result.messages) ctx.log(`FAIL ${m}`);
    for (const n of result.notes) ctx.log(`note: ${n}`);
    ctx.log(`${result.cases} cases, ${result.failures} failures in ${(ms / 1000).toFixed(1)} s`);
    // A failed case keeps what it left behind (data dirs, logs) for the one who looks next.
    if (result.failures > 0) ctx.log(`kept ${tmp} for inspection`);
    else await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  const total = rows.reduce((n, r) => n + r.result.cases, 0);
  const failures = rows.reduce((n, r) => n + r.result.failures, 0);
  const w = Math.max(4, ...rows.map((r) => r.name.length));
  console.log("");
  console.log(
    `${pad("case", w)}  ${pad("cases", 7)}  ${pad("failures", 8)}  ${pad("time", 7)}  figures`,
  );
  for (const r of rows) {
    console.log(
      `${pad(r.name, w)}  ${pad(String(r.result.cases), 7)}  ${
        pad(String(r.result.failures), 8)
      }  ${pad(`${(r.ms / 1000).toFixed(1)}s`, 7)}  ${fmtFigures(r.result)}`,
    );
  }
  console.log(`(seed ${args.seed}, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(`torture: ${total} cases, ${failures} failures`);
  return failures > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
