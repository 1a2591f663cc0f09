/**
 * Permission arithmetic of the TS job sandbox (DESIGN §4): what a job's `permissions` may ask
 * for given the `kron run --allow-*` grants (narrow, never widen), the effective set each job's
 * worker gets, Deno's worker permission options for it, how a set is shown, and how Deno's
 * `NotCapable` messages become one line naming the permission and the flag that grants it.
 *
 * Paths (`read`, `write`) are compared as absolute paths resolved against kron's working
 * directory, as Deno resolves `--allow-read=./reports`; `net` entries are `host` or
 * `host:port` (a bare host covers every port); `env` entries may end in `*` (a prefix, as in
 * Deno); `run` follows {@link runAllowed}; `sys` entries are the names of `Deno` APIs
 * (`hostname`, `osRelease`, …).
 *
 * @example
 * ```ts
 * import { effectivePermissions, findWidening } from "./permissions.ts";
 * import { emptyPermissions } from "./runtime.ts";
 * const grant = { ...emptyPermissions(), net: ["api.example.com"] };
 * findWidening(grant, { net: ["evil.example.com"] })?.flag; // "--allow-net=api.example.com,evil.example.com"
 * effectivePermissions(grant, { net: false }).net; // false
 * ```
 * @module
 */
import type { JobPermissions } from "./job_types.ts";
import { type Grant, type Permissions, runAllowed } from "./grants.ts";
import { absolute } from "../paths.ts";

/**
 * The permission kinds, in the order kron shows them.
 *
 * @example
 * ```ts
 * import { PERMISSION_KINDS } from "./permissions.ts";
 * PERMISSION_KINDS.join(","); // "read,write,net,env,run,sys"
 * ```
 */
export const PERMISSION_KINDS = ["read", "write", "net", "env", "run", "sys"] as const;

/**
 * One of {@link PERMISSION_KINDS}.
 *
 * @example
 * ```ts
 * import type { PermissionKind } from "./permissions.ts";
 * const k: PermissionKind = "net";
 * ```
 */
export type PermissionKind = typeof PERMISSION_KINDS[number];

/**
 * A job asking for more than kron was granted: which permission, what it asked, and the flag
 * that would grant it.
 *
 * @example
 * ```ts
 * import type { Widening } from "./permissions.ts";
 * const w: Widening = { kind: "env", asked: "SMTP_URL", flag: "--allow-env=SMTP_URL", problem: "…" };
 * ```
 */
export interface Widening {
  kind: PermissionKind;
  /** The entry (or `"all"`) the job asked for that the grant does not cover. */
  asked: string;
  /** The `kron run` flag that would grant what the job asks. */
  flag: string;
  /** One line: `permissions.env asks for "SMTP_URL", which kron run was not granted (…)`. */
  problem: string;
}

/** Whether one grant entry covers one asked entry of `kind`. */
function entryCovers(kind: PermissionKind, granted: string, asked: string): boolean {
  switch (kind) {
    case "read":
    case "write": {
      const g = absolute(granted);
      const a = absolute(asked);
      return a === g || g === "/" || a.startsWith(`${g}/`);
    }
    case "net": {
      if (granted === asked) return true;
      // A bare host covers that host on any port.
      const host = asked.replace(/:\d+$/, "");
      return !/:\d+$/.test(granted) && host === granted;
    }
    case "env":
      if (granted === asked) return true;
      return granted.endsWith("*") && asked.startsWith(granted.slice(0, -1));
    case "run":
      return runAllowed([granted], asked);
    case "sys":
      return granted === asked;
  }
}

/**
 * Whether `grant` covers the single entry `asked` of `kind` (what a denied access needed).
 *
 * @example
 * ```ts
 * import { grantCovers } from "./permissions.ts";
 * grantCovers("read", ["/srv/reports"], "/srv/reports/today.csv"); // true
 * grantCovers("net", ["api.example.com"], "api.example.com:443"); // true
 * grantCovers("env", false, "HOME"); // false
 * ```
 */
export function grantCovers(kind: PermissionKind, grant: Grant, asked: string): boolean {
  if (grant === true) return true;
  if (grant === false) return false;
  return grant.some((g) => entryCovers(kind, g, asked));
}

/**
 * The first thing a job's `permissions` asks for that `grant` does not give, or null when the
 * job only narrows. An absent kind in `job` asks for nothing beyond the grant.
 *
 * @example
 * ```ts
 * import { findWidening } from "./permissions.ts";
 * import { emptyPermissions } from "./runtime.ts";
 * findWidening(emptyPermissions(), { env: ["SMTP_URL"] })?.flag; // "--allow-env=SMTP_URL"
 * findWidening({ ...emptyPermissions(), env: true }, { env: ["SMTP_URL"] }); // null
 * ```
 */
export function findWidening(grant: Permissions, job: JobPermissions | null): Widening | null {
  if (!job) return null;
  for (const kind of PERMISSION_KINDS) {
    const asked = job[kind];
    const granted = grant[kind];
    if (asked === undefined || asked === false || granted === true) continue;
    const given = granted === false
      ? "kron run was given no --allow-" + kind
      : `--allow-${kind}=${(granted as string[]).join(",")} does not grant it`;
    if (asked === true) {
      return {
        kind,
        asked: "all",
        flag: `--allow-${kind}`,
        problem: `permissions.${kind} = true asks for all ${kind} access, but ${given} ` +
          `(grant it: --allow-${kind})`,
      };
    }
    const missing = asked.find((a) => !grantCovers(kind, granted, a));
    if (missing === undefined) continue;
    const list = granted === false ? [missing] : [...granted, missing];
    const flag = `--allow-${kind}=${list.join(",")}`;
    return {
      kind,
      asked: missing,
      flag,
      problem: `permissions.${kind} asks for ${JSON.stringify(missing)}, but ${given} ` +
        `(grant it: ${flag})`,
    };
  }
  return null;
}

/**
 * The permissions a job's worker gets: the grant, narrowed by the job's `permissions` (which
 * {@link findWidening} has already checked). A kind the job does not mention keeps the grant.
 *
 * @example
 * ```ts
 * import { effectivePermissions } from "./permissions.ts";
 * import { emptyPermissions } from "./runtime.ts";
 * const grant = { ...emptyPermissions(), read: true, net: true };
 * effectivePermissions(grant, { read: ["./reports"] }).read; // ["./reports"]
 * ```
 */
export function effectivePermissions(grant: Permissions, job: JobPermissions | null): Permissions {
  const out = { ...grant };
  if (!job) return out;
  for (const kind of PERMISSION_KINDS) {
    const asked = job[kind];
    if (asked === undefined || grant[kind] === false) continue;
    out[kind] = asked === true ? grant[kind] : asked === false ? false : [...asked];
  }
  return out;
}

/**
 * Deno's `new Worker(…, { deno: { permissions } })` option for a set: exactly the grant, no FFI,
 * and module loading (`import`) as kron's own, since fetching code is not a job capability.
 *
 * @example
 * ```ts
 * import { workerPermissions } from "./permissions.ts";
 * import { emptyPermissions } from "./runtime.ts";
 * workerPermissions(emptyPermissions()).net; // false
 * ```
 */
export function workerPermissions(p: Permissions): Deno.PermissionOptionsObject {
  const g = (grant: Grant): boolean | string[] => grant === true ? true : grant || false;
  return {
    read: g(p.read),
    write: g(p.write),
    net: g(p.net),
    env: g(p.env),
    run: g(p.run),
    sys: g(p.sys) as Deno.PermissionOptionsObject["sys"],
    ffi: false,
    import: "inherit",
  };
}

/**
 * A permission set in words, for `kron check`: `none`, or the granted kinds as flags would
 * say them (`net=api.example.com read=./reports env`).
 *
 * @example
 * ```ts
 * import { describePermissions } from "./permissions.ts";
 * import { emptyPermissions } from "./runtime.ts";
 * describePermissions(emptyPermissions()); // "none"
 * describePermissions({ ...emptyPermissions(), net: ["a.example"], env: true }); // "net=a.example env"
 * ```
 */
export function describePermissions(p: Permissions): string {
  const parts: string[] = [];
  for (const kind of PERMISSION_KINDS) {
    const g = p[kind];
    if (g === true) parts.push(kind);
    else if (Array.isArray(g) && g.length > 0) parts.push(`${kind}=${g.join(",")}`);
  }
  return parts.length === 0 ? "none" : parts.join(" ");
}

/**
 * One access Deno refused, from a `NotCapable` message (`Requires net access to "x:443", run
 * again with the --allow-net flag`). `kind` is `"all"` for `/proc`-style refusals that only
 * `--allow-all` would lift.
 *
 * @example
 * ```ts
 * import type { DeniedAccess } from "./permissions.ts";
 * const d: DeniedAccess = { kind: "env", target: "HOME" };
 * ```
 */
export interface DeniedAccess {
  kind: PermissionKind | "all";
  target: string;
}

const DENIED = /Requires (\w+) access to "?([^",]*)"?(?:,|$)/;

/**
 * Reads a denied access out of an error or message; null when it is not a permission refusal.
 *
 * @example
 * ```ts
 * import { parseDenied } from "./permissions.ts";
 * parseDenied('Requires env access to "HOME", run again with the --allow-env flag');
 * // { kind: "env", target: "HOME" }
 * ```
 */
export function parseDenied(message: string): DeniedAccess | null {
  const m = DENIED.exec(message);
  if (!m) return null;
  const kind = m[1] as DeniedAccess["kind"];
  if (kind !== "all" && !PERMISSION_KINDS.includes(kind as PermissionKind)) return null;
  return { kind, target: m[2] };
}

/**
 * The `deniedPermissions` entry of a denied access: `kind:target` (`net:api.example.com:443`).
 *
 * @example
 * ```ts
 * import { deniedEntry } from "./permissions.ts";
 * deniedEntry({ kind: "read", target: "/etc/hostname" }); // "read:/etc/hostname"
 * ```
 */
export function deniedEntry(d: DeniedAccess): string {
  return `${d.kind}:${d.target}`;
}

/**
 * The one-line error of a run Deno refused something: names the permission and the flag that
 * grants it, and says when it is the job's own `permissions` that narrowed it away.
 *
 * @example
 * ```ts
 * import { deniedMessage } from "./permissions.ts";
 * import { emptyPermissions } from "./runtime.ts";
 * deniedMessage({ kind: "net", target: "api.example.com:443" }, emptyPermissions());
 * // 'permission denied: net access to "api.example.com:443" (grant it: kron run --allow-net=api.example.com)'
 * ```
 */
export function deniedMessage(d: DeniedAccess, grant: Permissions): string {
  if (d.kind === "all") {
    return `permission denied: ${JSON.stringify(d.target)} needs all permissions ` +
      `(--allow-all), which kron never gives a job`;
  }
  const what = `permission denied: ${d.kind} access to ${JSON.stringify(d.target)}`;
  if (grantCovers(d.kind, grant[d.kind], d.target)) {
    return `${what} (kron run grants it, but the job's permissions.${d.kind} leaves it out)`;
  }
  // A host without its port: granting the host covers the port Deno named.
  const entry = d.kind === "net" ? d.target.replace(/:\d+$/, "") : d.target;
  const current = grant[d.kind];
  const list = Array.isArray(current) ? [...current, entry] : [entry];
  return `${what} (grant it: kron run --allow-${d.kind}=${list.join(",")})`;
}
