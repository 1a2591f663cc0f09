/**
 * `kron resume <job>`: resumes a paused job, or re-enables one stopped by `on_error = "stop"`.
 *
 * @example
 * ```ts
 * import { run } from "./resume.ts";
 * import { memoryIo } from "../output.ts";
 * await run(["backup"], memoryIo());
 * ```
 * @module
 */
import { expectPositionals, parseFlags, stringFlag } from "../args.ts";
import { dataDirForReads } from "../context.ts";
import { formatTime, type Io, toJson } from "../output.ts";
import { requireLive, SERVER_FLAGS, serverTarget } from "../source.ts";

/**
 * The text of `kron resume --help`.
 *
 * @example
 * ```ts
 * import { help } from "./resume.ts";
 * console.log(help);
 * ```
 */
export const help = `kron resume <job> [--json]

Resumes a paused job, or re-enables a job that on_error = "stop" disabled after repeated
failures. It runs again from its next scheduled time (missed occurrences are not caught up).

Needs a running kron (exit 1 otherwise).

Flags:
  --json            print the job's status
  --data-dir <dir>  data directory
  --server <urls>   resume on a kron server (cluster node) over HTTP instead
                    (comma-separated nodes fail over; default $KRON_SERVER)
  --token <token>   its bearer token (default $KRON_TOKEN)

Example:
  kron resume backup`;

/**
 * Runs `kron resume` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./resume.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run(["backup"], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    json: { type: "boolean" },
    ...SERVER_FLAGS,
  }, "resume");
  expectPositionals(positionals, 1, 1, "resume", "<job>");
  const server = serverTarget(flags, "resume");
  const dataDir = server ? server.url : await dataDirForReads(stringFlag(flags, "data-dir"));
  const admin = await requireLive(dataDir, "resume", server);
  try {
    const job = await admin.resume(positionals[0]);
    if (flags.json) io.out(toJson(job ?? { name: positionals[0] }));
    else {
      const next = job?.nextRunAt ? `; next run ${formatTime(job.nextRunAt)}` : "";
      io.out(`resumed ${positionals[0]}${next}`);
    }
    return 0;
  } finally {
    admin.close();
  }
}
