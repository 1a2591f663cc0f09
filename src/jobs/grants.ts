/**
 * What the jobs of a runtime may do: the `kron run --allow-*` grants, as data. At the bottom of
 * `src/jobs/`: the loaders, the permission rules, the sandbox and the runtime all read it, and
 * it reads nothing of theirs.
 *
 * @example
 * ```ts
 * import { emptyPermissions, runAllowed } from "./grants.ts";
 * const p = { ...emptyPermissions(), run: ["rsync"] };
 * runAllowed(p.run, "rsync"); // true
 * ```
 * @module
 */

/**
 * A permission grant: `true` = all, `false` = none, a list = only these.
 *
 * @example
 * ```ts
 * import type { Grant } from "./grants.ts";
 * const run: Grant = ["pg_dump", "rsync"];
 * ```
 */
export type Grant = boolean | string[];

/**
 * What the jobs of a runtime may do, from `kron run`'s `--allow-*` flags: `run` gates command
 * jobs (checked at load); all of them are the Deno permissions of the sandboxed TS workers.
 *
 * @example
 * ```ts
 * import type { Permissions } from "./grants.ts";
 * const p: Permissions = { run: ["pg_dump"], net: true, read: false, write: false, env: false, sys: false };
 * ```
 */
export interface Permissions {
  read: Grant;
  write: Grant;
  net: Grant;
  env: Grant;
  run: Grant;
  sys: Grant;
}

/**
 * No permission at all.
 *
 * @example
 * ```ts
 * import { emptyPermissions } from "./grants.ts";
 * emptyPermissions().run; // false
 * ```
 */
export function emptyPermissions(): Permissions {
  return { read: false, write: false, net: false, env: false, run: false, sys: false };
}

/**
 * Whether `grant` allows running `program`. Like Deno: a bare name in the list allows that
 * name (and any path ending in it); a path in the list allows that path and its bare name.
 *
 * @example
 * ```ts
 * import { runAllowed } from "./grants.ts";
 * runAllowed(["rsync"], "rsync"); // true
 * runAllowed(["/bin/sh"], "sh"); // true
 * runAllowed(["rsync"], "curl"); // false
 * ```
 */
export function runAllowed(grant: Grant, program: string): boolean {
  if (grant === true) return true;
  if (grant === false) return false;
  const base = program.slice(program.lastIndexOf("/") + 1);
  return grant.some((entry) => {
    if (entry === program) return true;
    const entryBase = entry.slice(entry.lastIndexOf("/") + 1);
    // A path entry allows its bare name (found on PATH); a bare entry allows a path to it.
    if (entry.includes("/")) return !program.includes("/") && entryBase === program;
    return entry === base;
  });
}
