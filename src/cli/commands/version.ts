/**
 * `kron version [--json]`: prints kron's version (and Deno's, with --json).
 *
 * @example
 * ```ts
 * import { run } from "./version.ts";
 * import { memoryIo } from "../output.ts";
 * await run([], memoryIo());
 * ```
 * @module
 */
import { parseFlags } from "../args.ts";
import { type Io, toJson } from "../output.ts";
import { VERSION } from "../../version.ts";

/**
 * The text of `kron version --help`.
 *
 * @example
 * ```ts
 * import { help } from "./version.ts";
 * console.log(help);
 * ```
 */
export const help = `kron version [--json]

Prints the version of kron (and of the Deno runtime with --json).

Example:
  kron version`;

/**
 * Runs `kron version` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./version.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run([], consoleIo());
 * ```
 */
export function run(args: string[], io: Io): Promise<number> {
  const { flags } = parseFlags(args, { json: { type: "boolean" } }, "version");
  if (flags.json) io.out(toJson({ version: VERSION, deno: Deno.version.deno }));
  else io.out(`kron ${VERSION}`);
  return Promise.resolve(0);
}
