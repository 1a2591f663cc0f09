/**
 * `kron forget <job>`: forgets an orphaned job (in the log, no longer in the job file): its
 * state goes now, its history with the next compaction.
 *
 * @example
 * ```ts
 * import { run } from "./forget.ts";
 * import { memoryIo } from "../output.ts";
 * await run(["old-job"], memoryIo());
 * ```
 * @module
 */
import { expectPositionals, parseFlags, stringFlag } from "../args.ts";
import { dataDirForReads } from "../context.ts";
import type { Io } from "../output.ts";
import { requireLive } from "../source.ts";

/**
 * The text of `kron forget --help`.
 *
 * @example
 * ```ts
 * import { help } from "./forget.ts";
 * console.log(help);
 * ```
 */
export const help = `kron forget <job>

Forgets an orphaned job: one that is in the data dir's log but not defined by the running job
file (status shows it as "orphaned"). Its state is dropped now and its history with the next
compaction. A job that is still defined cannot be forgotten: remove it from the file and run
"kron reload" instead.

Needs a running kron (exit 1 otherwise).

Flags:
  --data-dir <dir>  data directory

Example:
  kron forget old-report`;

/**
 * Runs `kron forget` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./forget.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run(["old-job"], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, {}, "forget");
  expectPositionals(positionals, 1, 1, "forget", "<job>");
  const admin = await requireLive(await dataDirForReads(stringFlag(flags, "data-dir")), "forget");
  try {
    await admin.forget(positionals[0]);
    io.out(`forgot ${positionals[0]}`);
    return 0;
  } finally {
    admin.close();
  }
}
