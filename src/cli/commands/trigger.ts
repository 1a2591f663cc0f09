/**
 * `kron trigger <job> [--json]`: starts a run now on the live runtime and prints its run id
 * once `RUN_STARTED` is durable. Refused (exit 1) under `overlap = "skip"` while a run is in
 * flight.
 *
 * @example
 * ```ts
 * import { run } from "./trigger.ts";
 * import { memoryIo } from "../output.ts";
 * await run(["backup"], memoryIo());
 * ```
 * @module
 */
import { expectPositionals, parseFlags, stringFlag } from "../args.ts";
import { dataDirForReads } from "../context.ts";
import { type Io, toJson } from "../output.ts";
import { requireLive, SERVER_FLAGS, serverTarget } from "../source.ts";

/**
 * The text of `kron trigger --help`.
 *
 * @example
 * ```ts
 * import { help } from "./trigger.ts";
 * console.log(help);
 * ```
 */
export const help = `kron trigger <job> [--json]

Starts a run of a job now (koku's "run"). The run follows the job's retries and timeout; its
idempotency key is "<job>:manual:<run id>". Prints the run id once the start is durable; the
command does not wait for the run to finish (see "kron logs <job> -f").

Needs a running kron (exit 1 otherwise). Refused with exit 1 while the job is running and its
overlap policy is "skip".

Flags:
  --json            print {"job": …, "runId": …}
  --data-dir <dir>  data directory
  --server <urls>   trigger on a kron server (cluster node) over HTTP instead
                    (comma-separated nodes fail over; default $KRON_SERVER)
  --token <token>   its bearer token (default $KRON_TOKEN)

Examples:
  kron trigger backup
  kron trigger backup && kron logs backup -f`;

/**
 * Runs `kron trigger` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./trigger.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run(["backup"], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    json: { type: "boolean" },
    ...SERVER_FLAGS,
  }, "trigger");
  expectPositionals(positionals, 1, 1, "trigger", "<job>");
  const server = serverTarget(flags, "trigger");
  const dataDir = server ? server.url : await dataDirForReads(stringFlag(flags, "data-dir"));
  const admin = await requireLive(dataDir, "trigger", server);
  try {
    const runId = await admin.trigger(positionals[0]);
    if (flags.json) io.out(toJson({ job: positionals[0], runId }));
    else io.out(`triggered ${positionals[0]}: run ${runId}`);
    return 0;
  } finally {
    admin.close();
  }
}
