/**
 * `deno task compile`: builds the single kron binary, `dist/kron`, with `deno compile` and
 * exactly the permission flags of deno.json's `kron` task (the one place they are written; a
 * compiled binary's permissions are fixed at compile time), plus `--include` for the sandbox
 * worker's bootstrap, which the binary loads at run time through a `data:` module.
 *
 * `deno compile` embeds `denort`, a runtime it downloads for the target; `DENORT_BIN=/path`
 * uses a local one instead (same Deno version). When neither works the task fails with one line
 * saying so, rather than Deno's multi-line network error.
 *
 * ```sh
 * deno task compile                                   # dist/kron for this machine
 * deno task compile --target aarch64-unknown-linux-gnu # dist/kron-aarch64-unknown-linux-gnu
 * DENORT_BIN=/opt/denort deno task compile --output /tmp/kron
 * ```
 *
 * @example
 * ```ts
 * import { compileArgs } from "./compile.ts";
 * compileArgs("deno run --allow-read --unstable-worker-options main.ts", { output: "dist/kron" });
 * // ["compile", "--allow-read", "--unstable-worker-options", "--include", …, "main.ts"]
 * ```
 * @module
 */
import { taskFlags } from "../src/cli/self.ts";
import { LAZY_MODULES } from "../src/cli/lazy.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/**
 * Files the binary loads at run time that no static import reaches.
 *
 * @example
 * ```ts
 * import { INCLUDES } from "./compile.ts";
 * INCLUDES[0]; // "src/jobs/_sandbox_worker.ts", then the CLI's lazily imported modules
 * ```
 */
export const INCLUDES: readonly string[] = [
  "src/jobs/_sandbox_worker.ts",
  "src/api/_metrics_worker.ts",
  "src/api/_front_worker.ts",
  ...LAZY_MODULES,
];

/** Options of {@link compileArgs}. */
export interface CompileOptions {
  /** Output path (default `dist/kron`, or `dist/kron-<target>` with a target). */
  output?: string;
  /** A `deno compile --target` triple. */
  target?: string;
}

/**
 * The `deno compile` arguments for the `kron` task line `task`.
 *
 * @example
 * ```ts
 * import { compileArgs } from "./compile.ts";
 * compileArgs("deno run --allow-net main.ts", { target: "x86_64-apple-darwin" }).includes("--target"); // true
 * ```
 */
export function compileArgs(task: string, options: CompileOptions = {}): string[] {
  const output = options.output ??
    (options.target ? `${ROOT}dist/kron-${options.target}` : `${ROOT}dist/kron`);
  const includes = INCLUDES.flatMap((f) => ["--include", `${ROOT}${f}`]);
  const target = options.target ? ["--target", options.target] : [];
  return [
    "compile",
    ...taskFlags(task),
    ...includes,
    ...target,
    "--output",
    output,
    `${ROOT}main.ts`,
  ];
}

/**
 * The one line that explains a failed `deno compile`: why denort was not available and what to
 * do, or the first line of Deno's own error for any other failure.
 *
 * @example
 * ```ts
 * import { explainFailure } from "./compile.ts";
 * explainFailure("error: Failed downloading …\n  dns error", undefined);
 * ```
 */
export function explainFailure(stderr: string, denortBin: string | undefined): string {
  // Deno colours its errors: drop the escape sequences (ESC is U+001B).
  const text = stderr.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
  const version = Deno.version.deno;
  if (denortBin && /Could not find denort|denort/i.test(text)) {
    return `compile: DENORT_BIN=${denortBin} is not a usable denort (${firstLine(text)}); ` +
      `point it at the denort binary of Deno ${version}`;
  }
  if (/download|dns error|denort|error sending request|connect/i.test(text)) {
    return `compile: deno compile needs denort (the runtime it embeds) and cannot get it: the ` +
      `download failed (${networkReason(text)}) and DENORT_BIN is not set; set ` +
      `DENORT_BIN=/path/to/denort (Deno ${version}), or run kron with "deno task kron"`;
  }
  return `compile: deno compile failed: ${firstLine(text)}`;
}

function firstLine(text: string): string {
  return text.split("\n").map((l) => l.replace(/^\s*(error:\s*)?/, "").trim())
    .find((l) => l !== "") ?? "no output";
}

/** The innermost cause of a network failure (`dns error`, `Connection refused`…). */
function networkReason(text: string): string {
  const m =
    /(dns error|failed to lookup address[^\n]*|Connection refused|timed out|Network is unreachable)/i
      .exec(text);
  return m ? m[1] : firstLine(text);
}

/** Parses `--target t` (repeatable) and `--output path`. */
function parseArgs(args: string[]): { targets: (string | undefined)[]; output?: string } {
  const targets: string[] = [];
  let output: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : args[++i];
      if (!v) throw new Error(`compile: ${a} needs a value`);
      return v;
    };
    if (a === "--target" || a.startsWith("--target=")) targets.push(value());
    else if (a === "--output" || a.startsWith("--output=")) output = value();
    else throw new Error(`compile: unknown argument ${a} (use --target <triple>, --output <path>)`);
  }
  if (output && targets.length > 1) throw new Error("compile: --output takes one --target");
  return { targets: targets.length > 0 ? targets : [undefined], output };
}

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(args);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const task = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks?.kron;
  if (typeof task !== "string") {
    console.error(`compile: ${ROOT}deno.json has no "kron" task to take the flags from`);
    return 1;
  }
  const denortBin = Deno.env.get("DENORT_BIN") || undefined;
  if (denortBin) {
    try {
      if (!(await Deno.stat(denortBin)).isFile) throw new Error("not a file");
    } catch (e) {
      console.error(
        `compile: DENORT_BIN=${denortBin} cannot be used (${
          e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message
        }); point it at the denort binary of Deno ${Deno.version.deno}`,
      );
      return 1;
    }
  }
  for (const target of parsed.targets) {
    const argv = compileArgs(task, { target, output: parsed.output });
    const output = argv[argv.indexOf("--output") + 1];
    await Deno.mkdir(output.slice(0, output.lastIndexOf("/")) || ".", { recursive: true });
    const out = await new Deno.Command(Deno.execPath(), {
      args: argv,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.code !== 0) {
      console.error(explainFailure(new TextDecoder().decode(out.stderr), denortBin));
      return 1;
    }
    console.log(`compile: built ${output}${target ? ` (${target})` : ""}`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
