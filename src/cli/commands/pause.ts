/**
 * `kron pause <job> [--for 2h]`: pauses a job on the live runtime, optionally for a while.
 *
 * @example
 * ```ts
 * import { run } from "./pause.ts";
 * import { memoryIo } from "../output.ts";
 * await run(["backup", "--for", "2h"], memoryIo());
 * ```
 * @module
 */
import { expectPositionals, intFlag, parseFlags, stringFlag } from "../args.ts";
import { dataDirForReads } from "../context.ts";
import { usage } from "../errors.ts";
import { formatTime, type Io, toJson } from "../output.ts";
import { requireLive, SERVER_FLAGS, serverTarget } from "../source.ts";
import { parseDuration } from "../../schedule/duration.ts";

/**
 * The text of `kron pause --help`.
 *
 * @example
 * ```ts
 * import { help } from "./pause.ts";
 * console.log(help);
 * ```
 */
export const help = `kron pause <job> [--for <duration> | --hours N] [--json]

Pauses a job without editing the job file: no new runs start (a run in flight finishes).
With --for it resumes by itself after that long; otherwise "kron resume <job>" resumes it.
Occurrences that fall inside the pause are skipped, not caught up. A pause survives restarts.

Needs a running kron (exit 1 otherwise).

Flags:
  --for <duration>  e.g. 30m, 2h, 1d
  --hours N         koku's spelling of --for Nh
  --json            print the job's status
  --data-dir <dir>  data directory
  --server <urls>   pause on a kron server (cluster node) over HTTP instead
                    (comma-separated nodes fail over; default $KRON_SERVER)
  --token <token>   its bearer token (default $KRON_TOKEN)

Examples:
  kron pause backup
  kron pause report.weekly --for 24h`;

/**
 * Runs `kron pause` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./pause.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run(["backup", "--for", "2h"], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    for: { type: "string" },
    hours: { type: "string" },
    json: { type: "boolean" },
    ...SERVER_FLAGS,
  }, "pause");
  expectPositionals(positionals, 1, 1, "pause", "<job>");
  if (flags.for !== undefined && flags.hours !== undefined) {
    throw usage(`kron pause: --for and --hours say the same thing: give one`);
  }
  const duration = flags.hours !== undefined
    ? `${intFlag(flags, "hours", 1, "pause")}h`
    : stringFlag(flags, "for");
  if (duration !== undefined) {
    try {
      if (parseDuration(duration, "--for") <= 0) throw new Error("must be longer than 0");
    } catch (e) {
      throw usage(
        `kron pause: --for ${JSON.stringify(duration)}: ${e instanceof Error ? e.message : e}`,
      );
    }
  }
  const server = serverTarget(flags, "pause");
  const dataDir = server ? server.url : await dataDirForReads(stringFlag(flags, "data-dir"));
  const admin = await requireLive(dataDir, "pause", server);
  try {
    const job = await admin.pause(positionals[0], duration);
    if (flags.json) io.out(toJson(job ?? { name: positionals[0], state: "paused" }));
    else if (job?.pausedUntil) {
      io.out(`paused ${positionals[0]} until ${formatTime(job.pausedUntil)}`);
    } else io.out(`paused ${positionals[0]}`);
    return 0;
  } finally {
    admin.close();
  }
}
