/**
 * Path and address text shared by every folder (the bottom layer, like src/errors.ts): an
 * absolute path resolved textually, and `host:port` split one way for the CLI's `--http`, the
 * `[kron] http` setting and the cluster server.
 *
 * @example
 * ```ts
 * import { absolute, splitHostPort } from "./paths.ts";
 * absolute("/x/./y/../z"); // "/x/z"
 * splitHostPort("[::1]:9000"); // { host: "::1", port: 9000 }
 * ```
 * @module
 */

/**
 * An absolute, normalised path (`.` and `..` resolved textually) against `base` (default: the
 * process's working directory), without touching the file system (for messages and sockets).
 *
 * @example
 * ```ts
 * import { absolute } from "./paths.ts";
 * absolute("/x/./y/../z"); // "/x/z"
 * absolute("../b", "/srv/a"); // "/srv/b"
 * ```
 */
export function absolute(path: string, base?: string): string {
  const full = path.startsWith("/") ? path : `${base ?? Deno.cwd()}/${path}`;
  const out: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/**
 * Splits `host:port` (`[v6]:port` for IPv6), or null when it is not one or the port is out of
 * range. The host may be empty (`:8080`): each caller decides what that means.
 *
 * @example
 * ```ts
 * import { splitHostPort } from "./paths.ts";
 * splitHostPort("localhost:0"); // { host: "localhost", port: 0 }
 * splitHostPort(":8080"); // { host: "", port: 8080 }
 * splitHostPort("8080"); // null
 * ```
 */
export function splitHostPort(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  return { host: m[1] ?? m[2], port };
}
