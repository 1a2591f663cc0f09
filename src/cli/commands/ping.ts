/**
 * `kron ping <job> [--start|--fail|--exit-code N]`: tells the live runtime that the external
 * work of a watched job (`watch = true`) started, succeeded or failed, so it gets history,
 * durations, late/down and alerts like a job kron runs. `--server URL` (with the token) pings a
 * runtime on another host.
 *
 * @example
 * ```ts
 * import { run } from "./ping.ts";
 * import { memoryIo } from "../output.ts";
 * await run(["backup"], memoryIo());
 * ```
 * @module
 */
import { expectPositionals, parseFlags, stringFlag } from "../args.ts";
import { dataDirForReads } from "../context.ts";
import { usage } from "../errors.ts";
import { type Io, toJson } from "../output.ts";
import { requireLive, SERVER_FLAGS, serverTarget } from "../source.ts";

/**
 * The text of `kron ping --help`.
 *
 * @example
 * ```ts
 * import { help } from "./ping.ts";
 * console.log(help);
 * ```
 */
export const help = `kron ping <job> [--start | --fail | --exit-code N] [--json]

Tells kron that the external work of a watched job (watch = true in the job file) started,
succeeded or failed. kron does not run a watched job; it expects to hear from it on its
schedule, and records each ping as a run: history, durations (--start, then a success),
on_failure, and with a grace late/down and on_late, as for a job kron runs. A ping counts for
the latest occurrence due at or before it.

With no flag the ping is a success. --start opens a run (its success or failure closes it);
--fail, or --exit-code N with N other than 0, records a failure (with that exit code).

Needs a running kron (exit 1 otherwise); refused (exit 1) for a job that is not watched.

Flags:
  --start           the external run started
  --fail            the external run failed
  --exit-code <n>   its exit code: 0 is a success, anything else a failure
  --json            print {"job": …, "runId": …}
  --data-dir <dir>  data directory
  --server <urls>   ping a kron serving --http on another host instead
                    (comma-separated nodes fail over; default $KRON_SERVER)
  --token <token>   its bearer token (default $KRON_TOKEN)

Examples:
  # crontab: kron hears of each backup, and says when one is late
  0 2 * * * kron ping backup --start; /usr/local/bin/backup.sh; kron ping backup --exit-code $?
  kron ping backup --server http://scheduler:8080 --token "$KRON_TOKEN"`;

/**
 * Runs `kron ping` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./ping.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run(["backup", "--exit-code", "0"], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    start: { type: "boolean" },
    fail: { type: "boolean" },
    "exit-code": { type: "string" },
    json: { type: "boolean" },
    ...SERVER_FLAGS,
  }, "ping");
  expectPositionals(positionals, 1, 1, "ping", "<job>");
  const body = pingBody(flags.start === true, flags.fail === true, stringFlag(flags, "exit-code"));
  const server = serverTarget(flags, "ping");
  const dataDir = server ? server.url : await dataDirForReads(stringFlag(flags, "data-dir"));
  const admin = await requireLive(dataDir, "ping", server);
  try {
    const runId = await admin.ping(positionals[0], body);
    if (flags.json) io.out(toJson({ job: positionals[0], runId }));
    else io.out(`pinged ${positionals[0]} (${body.kind}): run ${runId}`);
    return 0;
  } finally {
    admin.close();
  }
}

function pingBody(
  start: boolean,
  fail: boolean,
  exitText: string | undefined,
): { kind: "start" | "success" | "fail"; exitCode?: number } {
  if ([start, fail, exitText !== undefined].filter(Boolean).length > 1) {
    throw usage("ping: give at most one of --start, --fail, --exit-code");
  }
  if (start) return { kind: "start" };
  if (fail) return { kind: "fail" };
  if (exitText === undefined) return { kind: "success" };
  if (!/^\d+$/.test(exitText) || Number(exitText) > 255) {
    throw usage(`ping: --exit-code ${JSON.stringify(exitText)} must be a whole number 0-255`);
  }
  const exitCode = Number(exitText);
  return { kind: exitCode === 0 ? "success" : "fail", exitCode };
}
