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
import { VERSION } from "../../kron.ts";

/** `kron version --help`. */
export const help = `kron version [--json]

Prints the version of kron (and of the Deno runtime with --json).

Example:
  kron version`;

/** Runs `kron version`. */
export function run(args: string[], io: Io): Promise<number> {
  const { flags } = parseFlags(args, { json: { type: "boolean" } }, "version");
  if (flags.json) io.out(toJson({ version: VERSION, deno: Deno.version.deno }));
  else io.out(`kron ${VERSION}`);
  return Promise.resolve(0);
}
