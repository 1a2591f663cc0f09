/**
 * `kron check [file] [--next N] [--json]`: validates a job file the way `kron run` would and
 * prints each job's schedule in words and its next N run times with their time zone.
 *
 * @example
 * ```ts
 * import { run } from "./check.ts";
 * import { memoryIo } from "../output.ts";
 * await run(["jobs.toml", "--next", "3"], memoryIo());
 * ```
 * @module
 */
import { expectPositionals, intFlag, parseFlags } from "../args.ts";
import { findDefaultJobFile } from "../context.ts";
import { usage } from "../errors.ts";
import { extractPermissions } from "../permissions.ts";
import { formatZoned, type Io, paint, toJson } from "../output.ts";

/**
 * The text of `kron check --help`.
 *
 * @example
 * ```ts
 * import { help } from "./check.ts";
 * console.log(help);
 * ```
 */
export const help = `kron check [file] [--next N] [--json] [--allow-run[=…]]

Validates a job file (TOML or TS) without running anything and prints, for each job, its
schedule in words and its next N run times in the job's time zone. Errors are one line with
the file, line, job and field (exit 2). Without a file: ./jobs.toml, ./jobs.ts, then
$XDG_CONFIG_HOME/kron/jobs.toml. With --allow-run[=…] it also checks that every command job's
program is allowed, as "kron run" will.

Flags:
  --next N          how many run times per job (default 5)
  --json            print JSON
  --allow-run[=…]   check command jobs against this grant

Examples:
  kron check
  kron check /etc/kron/jobs.toml --next 10
  kron check jobs.toml --allow-run=rsync,pg_dump`;

/**
 * Runs `kron check` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./check.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run(["jobs.toml", "--next", "3"], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { permissions, rest } = extractPermissions(args);
  const granted = args.some((a) => a.startsWith("--allow-"));
  const { flags, positionals } = parseFlags(rest, {
    next: { type: "string", short: "n" },
    json: { type: "boolean" },
  }, "check");
  expectPositionals(positionals, 0, 1, "check", "[file]");
  const count = intFlag(flags, "next", 5, "kron check");
  const file = positionals[0] ?? findDefaultJobFile();
  if (!file) {
    throw usage(
      `kron check: no job file given and none found (./jobs.toml, ./jobs.ts); try "kron init"`,
    );
  }
  const { loadJobFile, describeSchedule, verifyJobFile, commandProgram } = await import(
    "../../jobs/mod.ts"
  );
  const { nextRuns } = await import("../../schedule/mod.ts");
  const jobFile = await loadJobFile(file);
  verifyJobFile(jobFile, granted ? permissions : null);
  const systemZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const defaultZone = jobFile.settings.timezone ?? systemZone;
  const now = new Date();
  const programs = new Set<string>();
  const jobs = jobFile.jobs.map((job) => {
    const o = job.options;
    const zone = o.cron !== undefined ? o.timezone ?? defaultZone : defaultZone;
    // deno-lint-ignore no-explicit-any
    const spec: any = o.cron !== undefined
      ? { cron: o.cron, timezone: zone }
      : o.every !== undefined
      ? { every: o.every, startAt: o.startAt }
      : o.after !== undefined
      ? { after: o.after }
      : { at: o.at };
    if (job.command) {
      programs.add(commandProgram(job.command.argv ?? job.command.text ?? "", job.command.shell));
    }
    if (job.onFailure && "command" in job.onFailure) {
      programs.add(commandProgram(job.onFailure.command, false));
    }
    const times = nextRuns(spec, now, count, { defaultTimezone: defaultZone });
    return {
      name: job.name,
      kind: job.command ? "command" : "function",
      schedule: describeSchedule(o.cron !== undefined ? { ...o, timezone: zone } : o),
      timezone: zone,
      paused: o.paused ?? false,
      nextRuns: times.map((d) => d.toISOString()),
      line: job.source.line,
    };
  });
  if (flags.json) {
    io.out(toJson({ file, valid: true, jobs }));
    return 0;
  }
  io.out(`${file}: ${jobs.length} job${jobs.length === 1 ? "" : "s"}, valid`);
  for (const j of jobs) {
    io.out("");
    const paused = j.paused ? paint(" (registered paused)", "yellow", io.color) : "";
    io.out(`${paint(j.name, "bold", io.color)}  ${j.schedule}${paused}`);
    if (j.nextRuns.length === 0) io.out("  no upcoming runs");
    for (const t of j.nextRuns) io.out(`  ${formatZoned(Date.parse(t), j.timezone)}`);
  }
  if (programs.size > 0 && !granted) {
    const bare = [...programs].map((p) => p.slice(p.lastIndexOf("/") + 1));
    io.out("");
    io.out(
      `command jobs run: ${[...new Set(bare)].join(", ")} (kron run needs --allow-run or ` +
        `--allow-run=${[...new Set(bare)].join(",")})`,
    );
  }
  return 0;
}
