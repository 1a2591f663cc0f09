/**
 * The login form of the TCP listener: paste the token (from `KRON_TOKEN` or
 * `<data-dir>/admin.token`), get an HttpOnly session cookie.
 *
 * @example
 * ```ts
 * import { loginPage } from "./login.ts";
 * const page = loginPage({ next: "/", error: null, nonce: "n", version: "0.1.0" });
 * page.value.includes('name="token"'); // true
 * ```
 * @module
 */
import { type Html, html } from "./_html.ts";
import { layout } from "./layout.ts";

/**
 * Where to go after logging in: a local path only (never `//host` or a scheme), else `/`.
 *
 * @example
 * ```ts
 * import { safeNext } from "./login.ts";
 * safeNext("/jobs/a"); // "/jobs/a"
 * safeNext("//evil.example/"); // "/"
 * ```
 */
export function safeNext(next: unknown): string {
  if (
    typeof next !== "string" || !next.startsWith("/") || next.startsWith("//") ||
    next.startsWith("/\\")
  ) return "/";
  // Control characters (header splitting) and absurd lengths are not paths we produced.
  for (let i = 0; i < next.length; i++) if (next.charCodeAt(i) < 0x20) return "/";
  if (next.length > 2000) return "/";
  return next;
}

/**
 * The login page.
 *
 * @example
 * ```ts
 * import { loginPage } from "./login.ts";
 * loginPage({ next: "/jobs/a", error: "wrong token", nonce: "n", version: "1" });
 * ```
 */
export function loginPage(
  o: { next: string; error: string | null; nonce: string; version: string },
): Html {
  return layout(
    { title: "kron · log in", nonce: o.nonce, version: o.version, page: "plain", logout: false },
    html`<form class="login" method="post" action="/login">
<h1>Log in</h1>
<p>Paste the admin token: <code>KRON_TOKEN</code>, or the contents of <code>admin.token</code> in the data directory.</p>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ""}
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="${safeNext(o.next)}">
<button class="primary" type="submit">Log in</button>
</form>`,
  );
}
