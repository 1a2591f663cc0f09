/**
 * `kron repair`: makes a data dir whose log has a corrupt record usable again (keeps the valid
 * prefix, backs up the originals). Refuses while a runtime uses the data dir.
 *
 * @example
 * ```ts
 * import { run } from "./repair.ts";
 * import { memoryIo } from "../output.ts";
 * await run(["--data-dir", "/srv/kron"], memoryIo());
 * ```
 * @module
 */
import { expectPositionals, parseFlags, stringFlag } from "../args.ts";
import { dataDirForReads } from "../context.ts";
import { failure } from "../errors.ts";
import { type Io, toJson } from "../output.ts";
import { connectAdmin } from "../admin.ts";

/**
 * The text of `kron repair --help`.
 *
 * @example
 * ```ts
 * import { help } from "./repair.ts";
 * console.log(help);
 * ```
 */
export const help = `kron repair [--json]

Repairs a data dir that kron refuses to start on because a log record is corrupt ("corrupt
record in … line N"): copies log/ and snapshot.json to <data-dir>/backup-<time>/, keeps every
record before the first corrupt one and drops the rest. A healthy data dir is left unchanged.
Stop kron first: repair takes the data dir's lock.

Flags:
  --json            print the repair report
  --data-dir <dir>  data directory

Example:
  kron daemon stop && kron repair && kron daemon start`;

/**
 * Runs `kron repair` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./repair.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run([], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, { json: { type: "boolean" } }, "repair");
  expectPositionals(positionals, 0, 0, "repair", "");
  const dataDir = await dataDirForReads(stringFlag(flags, "data-dir"));
  const live = await connectAdmin(dataDir);
  if (live) {
    live.close();
    throw failure(`kron repair: a kron runtime is running on ${dataDir}; stop it first`);
  }
  const { repair } = await import("../../store/mod.ts");
  const r = await repair(dataDir);
  if (flags.json) {
    io.out(toJson(r));
    return 0;
  }
  if (!r.backupDir) {
    io.out(`nothing to repair in ${r.dataDir}`);
    return 0;
  }
  const where = r.corrupt
    ? ` from ${r.corrupt.segment} line ${r.corrupt.line} (${r.corrupt.reason})`
    : "";
  io.out(
    `repaired ${r.dataDir}: kept ${r.keptRecords} records, dropped ${r.droppedRecords}${where}` +
      (r.truncated ? `, cut a torn tail of ${r.truncated.bytes} bytes` : "") +
      (r.snapshotDropped ? ", dropped a damaged snapshot" : ""),
  );
  io.out(`backup: ${r.backupDir}`);
  return 0;
}
