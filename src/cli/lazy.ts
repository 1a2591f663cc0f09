/**
 * Modules the CLI imports at run time outside the module graph of `main.ts`.
 *
 * Deno builds the module graph of every module it imports, dynamic imports with a literal
 * specifier included: with the commands imported as `import("./commands/run.ts")`, the first
 * `import` of `kron status` read and resolved the engine, Hono, the loaders and their npm
 * packages (~30 ms of a 50 ms start). A specifier built at run time is not in the graph, so
 * each command pays only for its own modules. `deno compile` cannot see these either:
 * scripts/compile.ts passes {@link LAZY_MODULES} to `--include`.
 *
 * @example
 * ```ts
 * import { lazyImport } from "./lazy.ts";
 * const { readDataDir } = await lazyImport<typeof import("../store/mod.ts")>("src/store/mod.ts");
 * ```
 * @module
 */

/**
 * Every module {@link lazyImport} loads, relative to the repository root.
 *
 * @example
 * ```ts
 * import { LAZY_MODULES } from "./lazy.ts";
 * LAZY_MODULES.includes("src/cli/commands/status.ts"); // true
 * ```
 */
export const LAZY_MODULES = [
  "src/cli/commands/run.ts",
  "src/cli/commands/daemon.ts",
  "src/cli/commands/status.ts",
  "src/cli/commands/history.ts",
  "src/cli/commands/logs.ts",
  "src/cli/commands/trigger.ts",
  "src/cli/commands/ping.ts",
  "src/cli/commands/pause.ts",
  "src/cli/commands/resume.ts",
  "src/cli/commands/reload.ts",
  "src/cli/commands/check.ts",
  "src/cli/commands/init.ts",
  "src/cli/commands/compact.ts",
  "src/cli/commands/repair.ts",
  "src/cli/commands/forget.ts",
  "src/cli/commands/server.ts",
  "src/cli/commands/version.ts",
  // The offline reader of read commands (src/cli/source.ts).
  "src/store/mod.ts",
  "src/engine/views.ts",
  "src/http/job_views.ts",
] as const;

/**
 * One of {@link LAZY_MODULES}.
 *
 * @example
 * ```ts
 * import type { LazyModule } from "./lazy.ts";
 * const status: LazyModule = "src/cli/commands/status.ts";
 * ```
 */
export type LazyModule = typeof LAZY_MODULES[number];

const ROOT = new URL("../../", import.meta.url);

/**
 * Imports `path` (relative to the repository root) without adding it to the importer's module
 * graph. `T` is the module's type, `typeof import("…")` (a type-only reference, not loaded).
 *
 * @example
 * ```ts
 * import { lazyImport } from "./lazy.ts";
 * const mod = await lazyImport<typeof import("./commands/version.ts")>("src/cli/commands/version.ts");
 * mod.help;
 * ```
 */
export function lazyImport<T>(path: LazyModule): Promise<T> {
  const url: string = new URL(path, ROOT).href;
  return import(url);
}
