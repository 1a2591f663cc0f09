/**
 * How to start another kron process (the daemon): the compiled binary runs itself; under
 * `deno run` the child gets exactly the flags of deno.json's `kron` task, the one place the
 * permission set is written down.
 *
 * @example
 * ```ts
 * import { selfCommand } from "./self.ts";
 * const { command, args } = await selfCommand();
 * // command: "/usr/bin/deno", args: ["run", "--allow-read", …, "/srv/kron/main.ts"]
 * ```
 * @module
 */
import { failure } from "./errors.ts";

/**
 * The deno flags of a `deno run <flags> main.ts` task line.
 *
 * @example
 * ```ts
 * import { taskFlags } from "./self.ts";
 * taskFlags("deno run --allow-read --allow-net main.ts"); // ["--allow-read", "--allow-net"]
 * ```
 */
export function taskFlags(task: string): string[] {
  const words = task.trim().split(/\s+/);
  const start = words.indexOf("run");
  const end = words.findIndex((w) => w.endsWith("main.ts"));
  if (words[0] !== "deno" || start !== 1 || end <= start) {
    throw new Error(`the kron task is not "deno run <flags> main.ts": ${task}`);
  }
  return words.slice(start + 1, end);
}

let kronFlagsCache: string[] | null = null;

/**
 * The deno flags of this checkout's deno.json `kron` task (read once, then cached): what the
 * compiled binary bakes in, and what tests, the torture suite and the benchmarks start kron with.
 * Not for a compiled binary, which has no deno.json beside it.
 *
 * @example
 * ```ts
 * import { kronTaskFlags } from "./self.ts";
 * kronTaskFlags().includes("--allow-all"); // false
 * ```
 */
export function kronTaskFlags(): string[] {
  if (kronFlagsCache === null) {
    const config = JSON.parse(Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)));
    kronFlagsCache = taskFlags(config.tasks.kron);
  }
  return kronFlagsCache;
}

function isCompiled(): boolean {
  const exe = Deno.execPath();
  const base = exe.slice(exe.lastIndexOf("/") + 1);
  return base !== "deno" && base !== "deno.exe";
}

/**
 * The command and leading arguments that start this kron again.
 *
 * @example
 * ```ts
 * import { selfCommand } from "./self.ts";
 * const { command, args } = await selfCommand();
 * new Deno.Command(command, { args: [...args, "version"] });
 * ```
 */
export async function selfCommand(): Promise<{ command: string; args: string[] }> {
  if (isCompiled()) return { command: Deno.execPath(), args: [] };
  const configUrl = new URL("../../deno.json", import.meta.url);
  const mainPath = new URL("../../main.ts", import.meta.url).pathname;
  let task: unknown;
  try {
    task = JSON.parse(await Deno.readTextFile(configUrl)).tasks?.kron;
  } catch (e) {
    throw failure(`cannot read ${configUrl.pathname} for the kron task's flags: ${e}`);
  }
  if (typeof task !== "string") throw failure(`${configUrl.pathname} has no "kron" task`);
  return { command: Deno.execPath(), args: ["run", ...taskFlags(task), mainPath] };
}
