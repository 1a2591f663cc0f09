/**
 * What a compiled kron (`deno compile`, `dist/kron`) cannot do with a user's `jobs.ts`, said at
 * load rather than as a resolver error at the first run. Since Deno 2.8.2 the binary transpiles
 * TS it imports at run time from `file://`, `data:` and `blob:` URLs, so a job file and its
 * local imports work; but its module graph was fixed at compile time, so `npm:`, `jsr:` and
 * `http(s):` imports in files that were not embedded do not resolve (deno#33218).
 *
 * {@link checkCompiledImports} scans the job file and its relative imports (a light scan of the
 * import specifiers, not a parse) and refuses such imports with a message naming the file, the
 * specifier and the alternatives; {@link rewriteCompiledError} turns a resolution error that
 * slipped through (an import the scan missed) into the same message.
 *
 * @example
 * ```ts
 * import { checkCompiledImports, isCompiled } from "./compiled.ts";
 * if (isCompiled()) await checkCompiledImports("jobs.ts"); // throws a JobFileError if it cannot work
 * ```
 * @module
 */
import { JobFileError } from "./job_errors.ts";

/**
 * Whether this kron is a `deno compile` binary.
 *
 * @example
 * ```ts
 * import { isCompiled } from "./compiled.ts";
 * console.log(isCompiled() ? "dist/kron" : "deno run main.ts");
 * ```
 */
export function isCompiled(): boolean {
  return (Deno.build as { standalone?: boolean }).standalone === true;
}

/** Specifier schemes the compiled binary cannot resolve in a user's files. */
const UNRESOLVABLE = /^(npm:|jsr:|https?:)/;

// `import … from "x"`, `export … from "x"`, `import "x"`, `import("x")`.
const SPECIFIERS =
  /(?:\bimport|\bexport)\s*(?:type\s+)?(?:[\w*{}\s,$]+?\s*from\s*)?["']([^"'\n]+)["']|\bimport\s*\(\s*["']([^"'\n]+)["']\s*\)/g;

/**
 * The import specifiers written in a module's text (comments are not excluded: a false hit
 * only costs a clearer message).
 *
 * @example
 * ```ts
 * import { importSpecifiers } from "./compiled.ts";
 * importSpecifiers(`import { a } from "./a.ts";\nconst m = await import("npm:x@1");`);
 * // ["./a.ts", "npm:x@1"]
 * ```
 */
export function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIERS)) out.push(m[1] ?? m[2]);
  return out;
}

/**
 * The one-line message for an import a compiled kron cannot resolve.
 *
 * @example
 * ```ts
 * import { compiledLimitMessage } from "./compiled.ts";
 * compiledLimitMessage("npm:croner@9");
 * ```
 */
export function compiledLimitMessage(specifier: string): string {
  return `imports ${JSON.stringify(specifier)}, which the compiled kron binary cannot load ` +
    `(npm:, jsr: and https: imports only resolve when they were embedded at compile time): ` +
    `vendor it into a local file, or run kron with "deno task kron" / "deno run <the kron ` +
    `task's flags> main.ts"`;
}

/**
 * Under a compiled kron, throws a {@link JobFileError} when the job file or a file it imports
 * relatively imports `npm:`, `jsr:` or `http(s):`. Does nothing under `deno run` (unless
 * `force`), where such imports work.
 *
 * @example
 * ```ts
 * import { checkCompiledImports } from "./compiled.ts";
 * await checkCompiledImports("jobs.ts", { force: true }); // as a compiled kron would check it
 * ```
 */
export async function checkCompiledImports(
  path: string,
  options: { force?: boolean } = {},
): Promise<void> {
  if (!options.force && !isCompiled()) return;
  const seen = new Set<string>();
  const queue = [path];
  // Bounded: the scan is a courtesy, the loader still reports anything it missed.
  while (queue.length > 0 && seen.size < 200) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch {
      continue; // the loader reports unreadable files
    }
    for (const spec of importSpecifiers(text)) {
      if (UNRESOLVABLE.test(spec)) {
        throw new JobFileError({
          file: path,
          problem: file === path
            ? compiledLimitMessage(spec)
            : `${file} ${compiledLimitMessage(spec)}`,
        });
      }
      if (spec.startsWith("./") || spec.startsWith("../")) {
        const dir = file.slice(0, file.lastIndexOf("/") + 1) || "./";
        queue.push(dir + spec);
      }
    }
  }
}

/**
 * A load error of a compiled kron that is about an unresolvable import, as the
 * {@link compiledLimitMessage}; null for any other error (or under `deno run`).
 *
 * @example
 * ```ts
 * import { rewriteCompiledError } from "./compiled.ts";
 * rewriteCompiledError("jobs.ts", "Module not found \"npm:x\""); // null under deno run
 * ```
 */
export function rewriteCompiledError(path: string, message: string): JobFileError | null {
  if (!isCompiled()) return null;
  const m = /["'](npm:[^"']+|jsr:[^"']+|https?:[^"']+)["']/.exec(message);
  if (!m) return null;
  return new JobFileError({ file: path, problem: compiledLimitMessage(m[1]) });
}
