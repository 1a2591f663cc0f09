/**
 * `kron history <job> [--limit N] [--json]`: a job's past runs, most recent first.
 *
 * @example
 * ```ts
 * import { run } from "./history.ts";
 * import { memoryIo } from "../output.ts";
 * await run(["backup", "--limit", "5"], memoryIo());
 * ```
 * @module
 */
import { expectPositionals, intFlag, parseFlags, stringFlag } from "../args.ts";
import { dataDirForReads } from "../context.ts";
import { type Io, toJson } from "../output.ts";
import { openSource, SERVER_FLAGS, serverTarget } from "../source.ts";
import { runsTable } from "./status.ts";

/**
 * The text of `kron history --help`.
 *
 * @example
 * ```ts
 * import { help } from "./history.ts";
 * console.log(help);
 * ```
 */
export const help = `kron history <job> [--limit N] [--before CURSOR] [--json]

Shows a job's past run attempts, most recent first: run id, start time, attempt, trigger
(schedule, manual, retry, catchup, recovery), outcome, exit code, duration and error.
Retries of one occurrence share its scheduled time and count up their attempt.
When older attempts exist, the last line says how to see them (--before with a cursor);
with --json that line goes to stderr and stdout stays one JSON array.

Flags:
  --limit N         how many attempts (default 20)
  --before CURSOR   older attempts: the cursor a previous page printed (or a run id)
  --json            print JSON
  --data-dir <dir>  data directory
  --server <urls>   read a kron server (cluster node) over HTTP instead
                    (comma-separated nodes fail over; default $KRON_SERVER)
  --token <token>   its bearer token (default $KRON_TOKEN)

Examples:
  kron history backup
  kron history backup --limit 100 --json | jq '.[] | select(.outcome != "succeeded")'
  kron history backup --before 01JX3Q4Y5Z6A7B8C9D0E1F2G3H~1a2b3c~`;

/**
 * Runs `kron history` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./history.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run(["backup", "--limit", "5"], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    limit: { type: "string", short: "n" },
    before: { type: "string" },
    json: { type: "boolean" },
    ...SERVER_FLAGS,
  }, "history");
  expectPositionals(positionals, 1, 1, "history", "<job>");
  const limit = intFlag(flags, "limit", 20, "kron history");
  const server = serverTarget(flags, "history");
  const dataDir = server ? server.url : await dataDirForReads(stringFlag(flags, "data-dir"));
  const source = await openSource(dataDir, io, server);
  try {
    const job = positionals[0];
    const before = stringFlag(flags, "before");
    const { runs, next } = await source.runsPage(job, limit, before);
    if (flags.json) io.out(toJson(runs));
    else if (runs.length === 0) {
      io.out(before ? `no older runs of ${job}` : `no runs of ${job} yet`);
    } else io.out(runsTable(runs, io.color));
    if (next !== null) {
      const more = `older runs: kron history ${job} --limit ${limit} --before ${next}`;
      if (flags.json) io.err(more);
      else io.out(more);
    }
    return 0;
  } finally {
    source.close();
  }
}
