/**
 * Scenario 8, TS jobs on the product path: scripts/bench/sandbox.ts (the real CLI with a
 * generated `jobs.ts`, beside library mode with the same file, in the same run), once per round;
 * the section shows the median round and every round's figures.
 *
 * @example
 * ```ts
 * import { sandboxJobs } from "./_sandbox_section.ts";
 * const r = await sandboxJobs({ quick: true, rounds: 1, seconds: 0, log: console.error });
 * r.summary.sandbox_p99_ms;
 * ```
 * @module
 */
import { mdTable } from "./_report.ts";
import type { RunOptions, ScenarioResult } from "./_scenarios.ts";
import { fmt, median, ratio } from "./_util.ts";
import type { Run as SubjectRun } from "./sandbox.ts";

interface Round {
  jobs: number;
  defined: number;
  due: { cli: SubjectRun; library: SubjectRun };
  definedRuns: { cli: SubjectRun; library: SubjectRun };
  overheadUsPerRun: number;
  trigger: { cli: number; library: number };
}

/**
 * Runs scripts/bench/sandbox.ts `o.rounds` times (once with --quick; 3 at most) and
 * reports the median.
 *
 * @example
 * ```ts
 * import { sandboxJobs } from "./_sandbox_section.ts";
 * await sandboxJobs({ quick: false, rounds: 3, seconds: 60, log: console.error });
 * ```
 */
export async function sandboxJobs(o: RunOptions): Promise<ScenarioResult> {
  const rounds: Round[] = [];
  const count = o.quick ? 1 : Math.max(1, Math.min(o.rounds, 3));
  for (let i = 0; i < count; i++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./sandbox.ts", import.meta.url).pathname,
        "--jobs",
        "1000",
        "--seconds",
        o.quick ? "8" : "20",
        "--defined",
        "10000",
        "--json",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
    if (!out.success) {
      throw new Error(`sandbox.ts failed: ${new TextDecoder().decode(out.stderr).slice(-400)}`);
    }
    const r = JSON.parse(text) as Round;
    rounds.push(r);
    o.log(
      `  sandbox round ${i + 1}: p99 cli ${fmt(r.due.cli.lateness.p99, 2)} ms, library ${
        fmt(r.due.library.lateness.p99, 2)
      } ms; RSS ${fmt(r.due.cli.rssMb)} MB; overhead ${fmt(r.overheadUsPerRun, 1)} µs/run`,
    );
  }
  const m = (pick: (r: Round) => number) => median(rounds.map(pick));
  const cliP99 = m((r) => r.due.cli.lateness.p99);
  const libP99 = m((r) => r.due.library.lateness.p99);
  const target = Math.max(10, 3 * libP99);
  const row = (name: string, pick: (r: Round) => SubjectRun) => [
    name,
    fmt(m((r) => pick(r).lateness.p50), 2),
    fmt(m((r) => pick(r).lateness.p99), 2),
    fmt(m((r) => pick(r).missing)),
    fmt(m((r) => pick(r).rssMb)),
    fmt(m((r) => pick(r).cpuMsPerRun * 1000), 1),
  ];
  const perRound = rounds.map((r, i) => [
    String(i + 1),
    `${fmt(r.due.cli.lateness.p99, 2)} / ${fmt(r.due.library.lateness.p99, 2)}`,
    fmt(r.overheadUsPerRun, 1),
    `${fmt(r.definedRuns.cli.startMs)} / ${fmt(r.definedRuns.library.startMs)}`,
    `${fmt(r.definedRuns.cli.rssMb)} / ${fmt(r.definedRuns.library.rssMb)}`,
    `${fmt(r.trigger.cli)} / ${fmt(r.trigger.library)}`,
  ]);
  const markdown = [
    "The product path of TS jobs: the real CLI (`deno run <kron task flags> main.ts run jobs.ts`) " +
    "with a generated `jobs.ts`, beside library mode (the same file imported by `new Kron({ dataDir })`, " +
    "same V8 flags, kron's text log and admin socket as `kron run` has them) in the same run " +
    "(scripts/bench/sandbox.ts). Each run records `now − ctx.scheduledAt` in a module-level buffer " +
    "written to a granted file once a second; the first 2 s are left out. Medians of " +
    `${rounds.length} round(s).`,
    mdTable(
      ["1,000 jobs due every second", "p50 ms", "p99 ms", "missing", "RSS MB", "CPU µs/run"],
      [
        row("`kron run jobs.ts` (sandbox workers)", (r) => r.due.cli),
        row("library mode", (r) => r.due.library),
      ],
    ),
    mdTable(["target", "measured", "met"], [
      [
        `lateness p99 ≤ max(10 ms, 3 × library p99) = ${fmt(target, 2)} ms`,
        `${fmt(cliP99, 2)} ms (${ratio(cliP99, libP99)} library)`,
        cliP99 <= target ? "yes" : "no",
      ],
      [
        "no occurrence missing after the first second",
        fmt(m((r) => r.due.cli.missing)),
        m((r) => r.due.cli.missing) === 0 ? "yes" : "no",
      ],
      [
        "RSS ≤ 300 MB, 1,000 TS jobs that all ran",
        `${fmt(m((r) => r.due.cli.rssMb))} MB`,
        m((r) => r.due.cli.rssMb) <= 300 ? "yes" : "no",
      ],
      [
        "10,000 TS jobs defined: RSS ≤ 500 MB, start-up ≤ 5 s",
        `${fmt(m((r) => r.definedRuns.cli.rssMb))} MB, ${
          fmt(m((r) => r.definedRuns.cli.startMs))
        } ms`,
        m((r) => r.definedRuns.cli.rssMb) <= 500 && m((r) => r.definedRuns.cli.startMs) <= 5000
          ? "yes"
          : "no",
      ],
      [
        "sandbox overhead (process CPU per run − library's) ≤ 10 µs",
        `${fmt(m((r) => r.overheadUsPerRun), 1)} µs`,
        m((r) => r.overheadUsPerRun) <= 10 ? "yes" : "no",
      ],
    ]),
    mdTable([
      "round",
      "p99 ms cli / library",
      "overhead µs/run",
      "10k defined: start ms cli / library",
      "RSS MB cli / library",
      "trigger runs/s socket / in-process",
    ], perRound),
    "Start-up is spawn → `kron.pid` written (kron writes it once the jobs are armed and the socket " +
    "serves; library: its `armed` line). Trigger: 200 jobs, 32 triggers in flight for 8 s, each " +
    "acknowledged once its RUN_STARTED is durable: over the admin socket with kron's own client " +
    "(one connection per request, as `kron trigger` does) beside `kron.trigger()` in-process.",
  ].join("\n\n");
  return {
    section: {
      id: "sandbox",
      title: "8. TS jobs through the CLI",
      markdown,
      svg: null,
      data: rounds,
    },
    summary: {
      sandbox_p99_ms: cliP99,
      sandbox_library_p99_ms: libP99,
      sandbox_rss_mb_1000: m((r) => r.due.cli.rssMb),
    },
  };
}
