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
import type { Permissions } from "../../jobs/mod.ts";

/**
 * The text of `kron check --help`.
 *
 * @example
 * ```ts
 * import { help } from "./check.ts";
 * console.log(help);
 * ```
 */
export const help = `kron check [file] [--next N] [--json] [--allow-run[=…]] [--allow-net[=…]] …

Validates a job file (TOML or TS) without running anything and prints, for each job, its
schedule in words, its next N run times in the job's time zone, and the permissions it will
get. Errors are one line with the file, line, job and field (exit 2). Without a file:
./jobs.toml, ./jobs.ts, then $XDG_CONFIG_HOME/kron/jobs.toml.

Give it the permission flags you give "kron run" (default: none). What "kron run" would
refuse — a command job whose program --allow-run does not cover, a job whose permissions ask
for more than granted, shell = true without /bin/sh — is reported as a warning (exit 0).
A jobs.ts is loaded in a sandbox worker with exactly these permissions, as "kron run" does.

Flags:
  --next N          how many run times per job (default 5)
  --json            print JSON
  --allow-run[=…], --allow-net[=…], --allow-read[=…], --allow-write[=…], --allow-env[=…],
  --allow-sys       the grants "kron run" will get

Examples:
  kron check
  kron check /etc/kron/jobs.toml --next 10
  kron check jobs.ts --allow-net=api.example.com --allow-env=SMTP_URL
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
  const jobsMod = await import("../../jobs/mod.ts");
  const { nextRuns } = await import("../../schedule/mod.ts");
  const jobFile = await jobsMod.loadJobFile(file, { sandbox: permissions });
  // Structure only: what the grants miss is a warning here, a refusal in "kron run".
  jobsMod.verifyJobFile(jobFile, null);
  const warnings = grantWarnings(jobFile, permissions, jobsMod);
  const systemZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const defaultZone = jobFile.settings.timezone ?? systemZone;
  const now = new Date();
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
    const times = nextRuns(spec, now, count, { defaultTimezone: defaultZone });
    return {
      name: job.name,
      kind: job.watch ? "watch" : job.command ? "command" : "function",
      schedule: describeOf(jobsMod, o, zone),
      timezone: zone,
      paused: o.paused ?? false,
      nextRuns: times.map((d) => d.toISOString()),
      permissions: jobPermissionsText(job, permissions, jobsMod),
      grace: o.grace ?? null,
      line: job.source.line,
    };
  });
  if (flags.json) {
    io.out(toJson({ file, valid: true, jobs, warnings }));
    return 0;
  }
  io.out(`${file}: ${jobs.length} job${jobs.length === 1 ? "" : "s"}, valid`);
  for (const j of jobs) {
    io.out("");
    const paused = j.paused ? paint(" (registered paused)", "yellow", io.color) : "";
    io.out(`${paint(j.name, "bold", io.color)}  ${j.schedule}${paused}`);
    if (j.nextRuns.length === 0) io.out("  no upcoming runs");
    for (const t of j.nextRuns) io.out(`  ${formatZoned(Date.parse(t), j.timezone)}`);
    io.out(`  permissions: ${j.permissions}`);
    if (j.grace !== null) {
      io.out(
        `  grace: ${j.grace} (late when the run due at a time above has not succeeded by then)`,
      );
    }
  }
  if (warnings.length > 0) io.out("");
  for (const w of warnings) io.out(`${paint("warning", "yellow", io.color)}: ${w}`);
  return 0;
}

type JobsMod = typeof import("../../jobs/mod.ts");
type Loaded = Awaited<ReturnType<JobsMod["loadJobFile"]>>;

function describeOf(
  mod: JobsMod,
  o: Loaded["jobs"][number]["options"],
  zone: string,
): string {
  return mod.describeSchedule(o.cron !== undefined ? { ...o, timezone: zone } : o);
}

/** What a job will be allowed: its sandbox's set, or the program a command job runs. */
function jobPermissionsText(
  job: Loaded["jobs"][number],
  grant: Permissions,
  mod: JobsMod,
): string {
  if (job.watch) return "none: watched, kron does not run it (it expects kron ping at these times)";
  if (job.command) {
    const program = mod.commandProgram(
      job.command.argv ?? job.command.text ?? "",
      job.command.shell,
    );
    const ok = mod.runAllowed(grant.run, program);
    return `runs ${program} (${ok ? "allowed" : "not allowed"} by --allow-run; ` +
      "a command is not sandboxed beyond that)";
  }
  if (mod.findWidening(grant, job.permissions)) return "more than granted (see the warning)";
  return mod.describePermissions(mod.effectivePermissions(grant, job.permissions));
}

/** What "kron run" would refuse with these grants, one line each. */
function grantWarnings(file: Loaded, grant: Permissions, mod: JobsMod): string[] {
  const out: string[] = [];
  const missing = new Set<string>();
  for (const job of file.jobs) {
    const programs: string[] = [];
    if (job.command) {
      programs.push(
        mod.commandProgram(job.command.argv ?? job.command.text ?? "", job.command.shell),
      );
    }
    for (const hook of [job.onFailure, job.onLate]) {
      if (hook && "command" in hook) programs.push(mod.commandProgram(hook.command, false));
    }
    for (const p of programs) {
      if (!mod.runAllowed(grant.run, p)) missing.add(p.slice(p.lastIndexOf("/") + 1) || p);
    }
    if (job.run !== null) {
      const w = mod.findWidening(grant, job.permissions);
      if (w) out.push(`job "${job.name}": ${w.problem}; kron run refuses it`);
    }
  }
  if (missing.size > 0) {
    const names = [...missing];
    const list = Array.isArray(grant.run) ? [...grant.run, ...names] : names;
    out.unshift(
      `command jobs run ${names.join(", ")}, which kron run needs granted: --allow-run or ` +
        `--allow-run=${list.join(",")}`,
    );
  }
  const shell = mod.shellProblem(file);
  if (shell) out.push(`job "${shell.job.name}": ${shell.problem}`);
  return out;
}
