/**
 * `host:port` of a listener (`--http`, `--listen`), parsed one way for the admin API and the
 * cluster's server.
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./host_port.ts";
 * parseHostPort(":8080"); // { hostname: "127.0.0.1", port: 8080 }
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import { splitHostPort } from "../paths.ts";

/**
 * Parses `host:port` (`[v6]:port` for IPv6; an empty host means 127.0.0.1).
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./host_port.ts";
 * parseHostPort("0.0.0.0:8080"); // { hostname: "0.0.0.0", port: 8080 }
 * parseHostPort("[::1]:0"); // { hostname: "::1", port: 0 }
 * ```
 */
export function parseHostPort(value: string): { hostname: string; port: number } {
  const split = splitHostPort(value.trim());
  if (split === null) {
    throw new KronError(
      "invalid_option",
      `--http ${JSON.stringify(value)}: expected host:port, e.g. 127.0.0.1:8080`,
    );
  }
  return { hostname: split.host || "127.0.0.1", port: split.port };
}
