/**
 * `kron reload`: the live runtime re-reads its job file and applies the difference. An invalid
 * file changes nothing: exit 2 with the file's error.
 *
 * @example
 * ```ts
 * import { run } from "./reload.ts";
 * import { memoryIo } from "../output.ts";
 * await run([], memoryIo());
 * ```
 * @module
 */
import { expectPositionals, parseFlags, stringFlag } from "../args.ts";
import { dataDirForReads } from "../context.ts";
import { type Io, toJson } from "../output.ts";
import { requireLive } from "../source.ts";

/**
 * The text of `kron reload --help`.
 *
 * @example
 * ```ts
 * import { help } from "./reload.ts";
 * console.log(help);
 * ```
 */
export const help = `kron reload [--json]

Makes the running kron re-read its job file and apply the changes: new jobs are added,
changed ones replaced (a changed schedule re-anchors from now; a paused job stays paused),
removed ones stop being scheduled (runs in flight finish). Prints what was added, changed and
removed. If the file is invalid nothing changes and the error is printed (exit 2).
Sending SIGHUP to the kron process does the same.

Needs a running kron (exit 1 otherwise).

Flags:
  --json            print {"added": […], "changed": […], "removed": […]}
  --data-dir <dir>  data directory

Example:
  $EDITOR jobs.toml && kron reload`;

/**
 * Runs `kron reload` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./reload.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run([], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, { json: { type: "boolean" } }, "reload");
  expectPositionals(positionals, 0, 0, "reload", "");
  const admin = await requireLive(await dataDirForReads(stringFlag(flags, "data-dir")), "reload");
  try {
    const r = await admin.reload();
    if (flags.json) {
      io.out(toJson({ added: r.added, changed: r.changed, removed: r.removed }));
      return 0;
    }
    io.out(describeReload(r));
    return 0;
  } finally {
    admin.close();
  }
}

/**
 * One line per kind of change, or "no changes".
 *
 * @example
 * ```ts
 * import { describeReload } from "./reload.ts";
 * describeReload({ added: ["a"], changed: [], removed: ["b"] }); // "added: a\nremoved: b"
 * ```
 */
export function describeReload(
  r: { added: string[]; changed: string[]; removed: string[] },
): string {
  const lines: string[] = [];
  if (r.added.length) lines.push(`added: ${r.added.join(", ")}`);
  if (r.changed.length) lines.push(`changed: ${r.changed.join(", ")}`);
  if (r.removed.length) lines.push(`removed: ${r.removed.join(", ")}`);
  return lines.length ? lines.join("\n") : "no changes";
}
