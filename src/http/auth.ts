/**
 * Authentication of the TCP listener. The Unix socket needs none: it is mode 0600 in a 0700
 * data dir, so filesystem permissions already decide who may talk to it.
 *
 * Over TCP a request passes with `Authorization: Bearer <token>` or with the session cookie
 * the login form sets. The cookie is not the token: it is `<expiry>.<HMAC-SHA256(token,
 * expiry)>`, so it expires, never exposes the token to script (HttpOnly), and every session
 * dies when the token is rotated. Comparisons are constant-time.
 *
 * @example
 * ```ts
 * import { constantTimeEqual, createSession, verifySession } from "./auth.ts";
 * constantTimeEqual("abc", "abc"); // true
 * const cookie = await createSession("t".repeat(64), Date.now());
 * await verifySession("t".repeat(64), cookie, Date.now()); // true
 * ```
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { errorBody } from "./errors.ts";

/**
 * Name of the session cookie.
 *
 * @example
 * ```ts
 * import { SESSION_COOKIE } from "./auth.ts";
 * SESSION_COOKIE; // "kron_session"
 * ```
 */
export const SESSION_COOKIE = "kron_session";
/**
 * Session lifetime: a working day; after that the login form asks again.
 *
 * @example
 * ```ts
 * import { SESSION_TTL_MS } from "./auth.ts";
 * SESSION_TTL_MS / 3600_000; // 12 (hours)
 * ```
 */
export const SESSION_TTL_MS = 12 * 3600_000;

/**
 * How a request was let in; routes read it from `c.get("auth")`.
 *
 * @example
 * ```ts
 * import type { AuthKind } from "./auth.ts";
 * const viaBrowser = (k: AuthKind) => k === "cookie";
 * ```
 */
export type AuthKind = "socket" | "bearer" | "cookie" | "none";

/**
 * Hono variables the admin app sets.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { AuthVariables } from "./auth.ts";
 * const app = new Hono<{ Variables: AuthVariables }>();
 * ```
 */
export type AuthVariables = { auth: AuthKind };

const encoder = new TextEncoder();

/**
 * Compares a presented secret with the expected one in time that depends only on the
 * expected one's length, so response timing does not reveal how much of a guess was right.
 *
 * @example
 * ```ts
 * import { constantTimeEqual } from "./auth.ts";
 * constantTimeEqual("secret", "secret"); // true
 * constantTimeEqual("secreT", "secret"); // false
 * ```
 */
export function constantTimeEqual(presented: string, expected: string): boolean {
  const a = encoder.encode(presented);
  const b = encoder.encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i];
  return diff === 0;
}

let keyCache: { token: string; key: Promise<CryptoKey> } | null = null;

function hmacKey(token: string): Promise<CryptoKey> {
  if (keyCache?.token !== token) {
    keyCache = {
      token,
      key: crypto.subtle.importKey(
        "raw",
        encoder.encode(`kron-session:${token}`),
        { name: "HMAC", hash: "SHA-256" },
        false,
        [
          "sign",
        ],
      ),
    };
  }
  return keyCache.key;
}

async function mac(token: string, expires: number): Promise<string> {
  const sig = new Uint8Array(
    await crypto.subtle.sign("HMAC", await hmacKey(token), encoder.encode(String(expires))),
  );
  let hex = "";
  for (const b of sig) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * A session cookie value valid until `now + ttlMs`.
 *
 * @example
 * ```ts
 * import { createSession } from "./auth.ts";
 * const value = await createSession("0".repeat(64), Date.now()); // "1767225600000.ab12…"
 * ```
 */
export async function createSession(
  token: string,
  now: number,
  ttlMs = SESSION_TTL_MS,
): Promise<string> {
  const expires = now + ttlMs;
  return `${expires}.${await mac(token, expires)}`;
}

/**
 * True when `value` is an unexpired session cookie minted with `token`.
 *
 * @example
 * ```ts
 * import { verifySession } from "./auth.ts";
 * await verifySession("0".repeat(64), "1.deadbeef", Date.now()); // false
 * ```
 */
export async function verifySession(token: string, value: string, now: number): Promise<boolean> {
  const m = /^(\d{1,15})\.([0-9a-f]{64})$/.exec(value);
  if (!m) return false;
  const expires = Number(m[1]);
  if (expires <= now) return false;
  return constantTimeEqual(m[2], await mac(token, expires));
}

/**
 * The `Set-Cookie` value for a session. `Secure` is added when the request came over HTTPS
 * (directly or via a TLS-terminating proxy that says so), since browsers drop Secure cookies
 * on plain-http origins other than localhost.
 *
 * @example
 * ```ts
 * import { sessionCookie } from "./auth.ts";
 * sessionCookie("1.ab", false); // "kron_session=1.ab; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200"
 * ```
 */
export function sessionCookie(
  value: string,
  secure: boolean,
  maxAgeS = SESSION_TTL_MS / 1000,
): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${
    secure ? "; Secure" : ""
  }`;
}

/**
 * True when the request reached us over HTTPS (itself or per `X-Forwarded-Proto`).
 *
 * @example
 * ```ts
 * import { isHttps } from "./auth.ts";
 * isHttps(new Request("https://kron.example/")); // true
 * ```
 */
export function isHttps(req: Request): boolean {
  return req.url.startsWith("https:") || req.headers.get("x-forwarded-proto") === "https";
}

/** Paths anyone may reach over TCP: health checks and the login form. */
const OPEN_PATHS = new Set(["/healthz", "/login"]);

/**
 * The page a browser navigation gets with status 401, given where to go after logging in
 * (`next`, path and query). The admin API passes its dashboard's login form; the layer below
 * the dashboard only calls it.
 *
 * @example
 * ```ts
 * import type { LoginPage } from "./auth.ts";
 * const page: LoginPage = (next) => new Response(`log in, then ${next}`, { status: 401 });
 * ```
 */
export type LoginPage = (next: string) => Response;

/**
 * Middleware for the TCP app: lets in a right bearer token or session cookie, else answers
 * 401 revealing nothing (not even whether the route exists). A browser navigation gets
 * `loginPage` when one is given; everything else (and every browser without one) the JSON
 * error and `WWW-Authenticate`.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { requireAuth } from "./auth.ts";
 * const app = new Hono();
 * app.use("*", requireAuth(() => "0".repeat(64)));
 * ```
 */
export function requireAuth(
  getToken: () => string,
  loginPage?: LoginPage,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) {
      c.set("auth", "none");
      return next();
    }
    const token = getToken();
    const authorization = c.req.header("authorization");
    if (authorization !== undefined) {
      const m = /^Bearer +([^ ]+) *$/i.exec(authorization);
      // A wrong bearer token is a 401 even with a good cookie: the caller asked for bearer.
      if (m && constantTimeEqual(m[1], token)) {
        c.set("auth", "bearer");
        return next();
      }
      return unauthorized(c, loginPage);
    }
    const session = getCookie(c, SESSION_COOKIE);
    if (session !== undefined && await verifySession(token, session, Date.now())) {
      c.set("auth", "cookie");
      return next();
    }
    return unauthorized(c, loginPage);
  };
}

function unauthorized(c: Context, loginPage: LoginPage | undefined): Response {
  const wantsHtml = loginPage !== undefined &&
    (c.req.method === "GET" || c.req.method === "HEAD") &&
    (c.req.header("accept") ?? "").includes("text/html") && !c.req.path.startsWith("/v1/");
  if (wantsHtml) {
    const url = new URL(c.req.url);
    return loginPage(url.pathname + url.search);
  }
  return new Response(JSON.stringify(errorBody("unauthorized", "authentication required")), {
    status: 401,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "www-authenticate": 'Bearer realm="kron"',
    },
  });
}
