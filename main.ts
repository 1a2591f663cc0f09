/**
 * The `kron` command line: `deno task kron <command>` or the compiled binary.
 *
 * @example
 * ```sh
 * deno task kron status --json
 * ```
 * @module
 */
import { main } from "./src/cli/main.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
