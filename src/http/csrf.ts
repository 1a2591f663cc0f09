/**
 * CSRF guard for state-changing requests (POST, PUT, PATCH, DELETE).
 *
 * Design: a stateless same-origin check rather than double-submit tokens. Every browser kron
 * supports sends `Sec-Fetch-Site` (or at least `Origin`) on a POST, and neither can be forged
 * by a cross-site page, so:
 *
 * - `Authorization: Bearer` requests pass: browsers never attach that header by themselves.
 * - `Sec-Fetch-Site` present: only `same-origin` passes (a forged form says `cross-site` or
 *   `same-site`).
 * - else `Origin` present: its host must equal the `Host` header (keep `Host` when proxying).
 * - neither: a non-browser client (curl on the socket) passes, but a *cookie*-authenticated
 *   request is refused, since only a browser holds the cookie and browsers send the headers.
 *
 * The session cookie is also `SameSite=Strict`, and the JSON API accepts only
 * `application/json` bodies (which cross-site forms cannot send), so a bypass would need all
 * three layers to fail. Nothing has to be threaded through forms or kept server-side.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { csrfGuard } from "./csrf.ts";
 * const app = new Hono<{ Variables: { auth: "socket" | "bearer" | "cookie" | "none" } }>();
 * app.use("*", csrfGuard());
 * ```
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { AuthVariables } from "./auth.ts";
import { errorBody } from "./errors.ts";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * True when an unsafe request may proceed (see the module doc for the rules).
 *
 * @example
 * ```ts
 * import { sameOriginRequest } from "./csrf.ts";
 * const req = new Request("http://h/ui/jobs/a/trigger", { method: "POST", headers: { "sec-fetch-site": "cross-site" } });
 * sameOriginRequest(req, "cookie"); // false
 * ```
 */
export function sameOriginRequest(req: Request, auth: AuthVariables["auth"]): boolean {
  if (SAFE.has(req.method) || auth === "bearer") return true;
  const site = req.headers.get("sec-fetch-site");
  if (site !== null) return site === "same-origin";
  const origin = req.headers.get("origin");
  if (origin !== null) {
    const host = req.headers.get("host");
    try {
      return origin !== "null" && host !== null && new URL(origin).host === host.toLowerCase();
    } catch {
      return false;
    }
  }
  return auth !== "cookie";
}

/**
 * Middleware answering 403 to cross-site state changes.
 *
 * @example
 * ```ts
 * import { csrfGuard } from "./csrf.ts";
 * // app.use("*", csrfGuard());
 * ```
 */
export function csrfGuard(): MiddlewareHandler<{ Variables: AuthVariables }> {
  return (c, next) => {
    if (sameOriginRequest(c.req.raw, c.get("auth"))) return next();
    return Promise.resolve(c.json(errorBody("forbidden", "cross-site request refused"), 403));
  };
}
