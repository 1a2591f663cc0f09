/**
 * Deno-style permission flags on `kron run` and `kron daemon start`: `--allow-run[=a,b]`,
 * `--allow-read[=…]`, `--allow-write[=…]`, `--allow-net[=…]`, `--allow-env[=…]`, `--allow-sys`.
 * They say what kron's jobs may do (the kron process itself gets its fixed set from deno.json).
 *
 * They are taken out of argv in a pre-pass because a bare `--allow-run` has an optional value:
 * like Deno, a value is only ever attached with `=`, so `--allow-run --data-dir x` and
 * `--allow-run jobs.toml` both mean "all programs" followed by the next argument.
 *
 * @example
 * ```ts
 * import { extractPermissions } from "./permissions.ts";
 * const { permissions, rest } = extractPermissions(["--allow-run=pg_dump", "jobs.toml", "--allow-net"]);
 * // permissions.run = ["pg_dump"], permissions.net = true, rest = ["jobs.toml"]
 * ```
 * @module
 */
import { emptyPermissions, type Grant, type Permissions } from "../jobs/mod.ts";
import { usage } from "./errors.ts";

export type { Grant, Permissions };

const FLAG = /^--allow-(read|write|net|env|run|sys)(?:=(.*))?$/s;

/**
 * Removes the permission flags from `args` (up to a `--`) and returns them as a
 * {@link Permissions} object with the remaining arguments. Repeated flags merge; a bare flag
 * grants everything. An empty list (`--allow-run=`) is a usage error.
 *
 * @example
 * ```ts
 * import { extractPermissions } from "./permissions.ts";
 * extractPermissions(["--allow-run", "--json"]).permissions.run; // true
 * ```
 */
export function extractPermissions(
  args: readonly string[],
): { permissions: Permissions; rest: string[] } {
  const permissions = emptyPermissions();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      rest.push(...args.slice(i));
      break;
    }
    const m = FLAG.exec(arg);
    if (!m) {
      if (/^--allow-all$|^-A$/.test(arg)) {
        throw usage(
          `${arg} is not accepted: grant each permission on its own ` +
            `(--allow-run, --allow-read, --allow-write, --allow-net, --allow-env, --allow-sys)`,
        );
      }
      rest.push(arg);
      continue;
    }
    const kind = m[1] as keyof Permissions;
    if (m[2] === undefined) {
      permissions[kind] = true;
      continue;
    }
    const list = m[2].split(",").map((s) => s.trim()).filter((s) => s !== "");
    if (list.length === 0) {
      throw usage(`--allow-${kind}= needs a value (a comma-separated list), or no "=" for all`);
    }
    const current = permissions[kind];
    if (current === true) continue;
    permissions[kind] = [...(Array.isArray(current) ? current : []), ...list];
  }
  return { permissions, rest };
}

/**
 * The flags that reproduce `permissions` (used to hand them to the daemon process).
 *
 * @example
 * ```ts
 * import { permissionFlags } from "./permissions.ts";
 * permissionFlags({ run: ["pg_dump"], read: false, write: false, net: true, env: false, sys: false });
 * // ["--allow-net", "--allow-run=pg_dump"]
 * ```
 */
export function permissionFlags(permissions: Permissions): string[] {
  const out: string[] = [];
  for (const kind of ["read", "write", "net", "env", "run", "sys"] as const) {
    const g: Grant = permissions[kind];
    if (g === true) out.push(`--allow-${kind}`);
    else if (Array.isArray(g) && g.length > 0) out.push(`--allow-${kind}=${g.join(",")}`);
  }
  return out;
}
