/**
 * `kron init [--toml|--ts]`: writes a commented example `jobs.toml` (default) or `jobs.ts` in
 * the working directory. Never overwrites a file.
 *
 * @example
 * ```ts
 * import { run } from "./init.ts";
 * import { memoryIo } from "../output.ts";
 * await run(["--ts"], memoryIo());
 * ```
 * @module
 */
import { expectPositionals, parseFlags } from "../args.ts";
import { failure, usage } from "../errors.ts";
import type { Io } from "../output.ts";

/**
 * The text of `kron init --help`.
 *
 * @example
 * ```ts
 * import { help } from "./init.ts";
 * console.log(help);
 * ```
 */
export const help = `kron init [--toml | --ts]

Writes a commented example job file in the working directory: jobs.toml (default) or, with
--ts, jobs.ts (jobs written as TypeScript functions or commands). Refuses to overwrite an
existing file. Then: "kron check" to validate it and preview run times, "kron run --allow-run"
to run it.

Flags:
  --toml  write jobs.toml (default)
  --ts    write jobs.ts

Examples:
  kron init
  kron init --ts`;

/**
 * The example `jobs.toml`.
 *
 * @example
 * ```ts
 * import { TOML_TEMPLATE } from "./init.ts";
 * await Deno.writeTextFile("jobs.toml", TOML_TEMPLATE);
 * ```
 */
export const TOML_TEMPLATE = `# kron job file.
#   kron check                   validate it and preview when each job runs next
#   kron run --allow-run         run it in the foreground (Ctrl-C stops gracefully)
#   kron daemon start --allow-run   run it in the background; "kron status" shows the jobs
# --allow-run lets command jobs run (or --allow-run=echo,df to allow only those programs).
# Durations: "250ms", "30s", "5m", "1h30m", "1d". Keys are snake_case.

[kron]
# data_dir = ".kron"           # event log and run logs (relative to this file)
# timezone = "Europe/Rome"     # default time zone of cron jobs (default: the system's)
# log_format = "text"          # text | json
# shutdown_timeout = "30s"     # how long Ctrl-C / daemon stop waits for running jobs

# Every minute, a command split into words like a shell would (no shell is run).
[[job]]
name = "hello"
description = "Say hello every minute"
every = "1m"
command = "echo hello from kron"

# A cron job with a timeout, retries and an error policy.
[[job]]
name = "disk-usage"
cron = "*/15 * * * *"          # 5 fields, or 6 with seconds first; @hourly, @daily … work too
command = ["df", "-h", "/"]    # argv as an array: no quoting needed
timeout = "1m"                 # SIGTERM to the whole process group, then SIGKILL
retries = 2                    # extra attempts after a failure, with exponential backoff
on_error = "continue"          # continue | backoff | stop (disable after max_failures)
overlap = false                # false = skip a run while the previous one still runs

# A koku-style nightly backup (uncomment and adapt):
# [[job]]
# name = "backup"
# cron = "0 2 * * *"
# timezone = "UTC"
# command = "bash backup.sh"
# dir = "/home/user/scripts"
# on_error = "backoff"
# timeout = "30m"
# on_failure = "https://hooks.example.com/kron"   # or a command: ["logger", "backup failed"]
# grace = "30m"                # late if a night's run has not succeeded by 02:30, down the next night
# on_late = ["logger", "-t", "kron"]              # told late, down and recovered (KRON_KIND)

# Work kron does not run but should hear from (crontab: backup.sh && kron ping offsite-copy):
# [[job]]
# name = "offsite-copy"
# cron = "0 4 * * *"
# watch = true
# grace = "1h"
`;

/**
 * The example `jobs.ts`.
 *
 * @example
 * ```ts
 * import { TS_TEMPLATE } from "./init.ts";
 * await Deno.writeTextFile("jobs.ts", TS_TEMPLATE);
 * ```
 */
export const TS_TEMPLATE = `/**
 * kron job file in TypeScript.
 *   kron check jobs.ts             validate it and preview when each job runs next
 *   kron run jobs.ts --allow-run   run it in the foreground (--allow-run for command jobs)
 *
 * The default export maps job names to definitions: the fields of jobs.toml in camelCase, plus
 * \`run\` for jobs written as functions. Wrap it in \`defineJobs\` from kron's define.ts (or mod.ts) for types.
 */

/** What kron passes to \`run\` (RunContext in kron's mod.ts). */
interface Ctx {
  job: string;
  runId: string;
  attempt: number;
  scheduledAt: Date;
  /** Same for every attempt of one occurrence: hand it to services that deduplicate. */
  idempotencyKey: string;
  /** Aborts on timeout and shutdown: pass it on so the work stops. */
  signal: AbortSignal;
  log: { info(message: string, fields?: Record<string, unknown>): void };
}

/** Runtime settings, as the [kron] table of jobs.toml. */
export const kron = {
  // dataDir: ".kron",
  // timezone: "Europe/Rome",
  logFormat: "text",
  shutdownTimeout: "30s",
};

export default {
  // A function job every minute.
  hello: {
    description: "Say hello every minute",
    every: "1m",
    run: (ctx: Ctx) => ctx.log.info("hello from kron", { attempt: ctx.attempt }),
  },

  // A function job on a cron schedule with a timeout and retries.
  "check-site": {
    cron: "*/15 * * * *",
    timeout: "30s",
    retries: 2,
    run: async (ctx: Ctx) => {
      const res = await fetch("https://example.com", { signal: ctx.signal });
      await res.body?.cancel();
      if (!res.ok) throw new Error(\`example.com answered \${res.status}\`);
    },
  },

  // A command job (needs --allow-run).
  "disk-usage": {
    cron: "0 * * * *",
    command: ["df", "-h", "/"],
    timeout: "1m",
    overlap: false,
  },
};
`;

/**
 * Runs `kron init` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./init.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run(["--toml"], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    toml: { type: "boolean" },
    ts: { type: "boolean" },
  }, "init");
  expectPositionals(positionals, 0, 0, "init", "");
  if (flags.toml && flags.ts) throw usage("kron init: give --toml or --ts, not both");
  const name = flags.ts ? "jobs.ts" : "jobs.toml";
  try {
    await Deno.writeTextFile(name, flags.ts ? TS_TEMPLATE : TOML_TEMPLATE, { createNew: true });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      throw failure(`kron init: ${name} already exists; not overwriting it`);
    }
    throw e;
  }
  io.out(`wrote ${name}`);
  io.out(`next: "kron check${flags.ts ? " jobs.ts" : ""}", then "kron run --allow-run"`);
  return 0;
}
