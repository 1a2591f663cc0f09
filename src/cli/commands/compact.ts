/**
 * `kron compact`: the live runtime writes a snapshot and drops the log segments it covers.
 *
 * @example
 * ```ts
 * import { run } from "./compact.ts";
 * import { memoryIo } from "../output.ts";
 * await run([], memoryIo());
 * ```
 * @module
 */
import { expectPositionals, parseFlags, stringFlag } from "../args.ts";
import { dataDirForReads } from "../context.ts";
import type { Io } from "../output.ts";
import { requireLive } from "../source.ts";

/**
 * The text of `kron compact --help`.
 *
 * @example
 * ```ts
 * import { help } from "./compact.ts";
 * console.log(help);
 * ```
 */
export const help = `kron compact

Asks the running kron to write a snapshot of its state and delete the log segments the
snapshot covers; history beyond each job's history_limit goes with them. kron also compacts
by itself as the log grows. With many jobs it starts when no run is due for a while, so that
none starts late behind it: the command may wait up to 30 s for that.

Needs a running kron (exit 1 otherwise).

Flags:
  --data-dir <dir>  data directory

Example:
  kron compact`;

/**
 * Runs `kron compact` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./compact.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run([], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, {}, "compact");
  expectPositionals(positionals, 0, 0, "compact", "");
  const admin = await requireLive(await dataDirForReads(stringFlag(flags, "data-dir")), "compact");
  try {
    await admin.compact();
    io.out("compacted");
    return 0;
  } finally {
    admin.close();
  }
}
