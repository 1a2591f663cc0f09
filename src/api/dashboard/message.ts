/**
 * Plain message pages: what a JS-less form post could not do, and the HTML error page a browser
 * gets for an unknown dashboard path, job or run (API clients keep their JSON errors).
 *
 * @example
 * ```ts
 * import { errorPage } from "./message.ts";
 * errorPage(404, 'no job named "x"', { nonce: "n", version: "1", logout: false }).value
 *   .includes("Not found"); // true
 * ```
 * @module
 */
import { type Html, html } from "./_html.ts";
import { layout } from "./layout.ts";
import type { PageContext } from "./list.ts";

/**
 * A plain message page (errors of JS-less form posts).
 *
 * @example
 * ```ts
 * import { messagePage } from "./message.ts";
 * messagePage("Not done", 'no job named "x"', "/", { nonce: "n", version: "1", logout: false });
 * ```
 */
export function messagePage(title: string, message: string, back: string, ctx: PageContext): Html {
  return layout(
    {
      title: `kron · ${title}`,
      nonce: ctx.nonce,
      version: ctx.version,
      page: "plain",
      logout: ctx.logout,
    },
    html`<h1>${title}</h1>
<p>${message}</p>
<p><a href="${back}">← back</a></p>`,
  );
}

const TITLES: Readonly<Record<number, string>> = {
  400: "Bad request",
  404: "Not found",
  409: "Conflict",
  503: "Unavailable",
};

/**
 * The error page for a browser: the status in words, the API's one-line message, and links
 * back to the job list.
 *
 * @example
 * ```ts
 * import { errorPage } from "./message.ts";
 * errorPage(400, "bad job name", { nonce: "n", version: "1", logout: false });
 * ```
 */
export function errorPage(status: number, message: string, ctx: PageContext): Html {
  const title = TITLES[status] ?? (status >= 500 ? "Server error" : "Error");
  return layout(
    {
      title: `kron · ${title}`,
      nonce: ctx.nonce,
      version: ctx.version,
      page: "plain",
      logout: ctx.logout,
    },
    html`
      <section class="error-page" id="error" data-status="${status}">
        <h1>${title} <small>(${status})</small></h1>
        <p>${message}</p>
        <p><a href="/">← all jobs</a></p>
      </section>
    `,
  );
}

/**
 * Whether to answer a request with an HTML page rather than JSON: a browser navigation (GET or
 * HEAD asking for `text/html`) outside the API's own paths (`/v1/`, the dashboard's fragments
 * under `/ui/`, `/metrics`, `/healthz`), which always answer JSON.
 *
 * @example
 * ```ts
 * import { wantsHtml } from "./message.ts";
 * wantsHtml(new Request("http://k/jobs/x", { headers: { accept: "text/html" } })); // true
 * wantsHtml(new Request("http://k/v1/jobs/x", { headers: { accept: "text/html" } })); // false
 * ```
 */
export function wantsHtml(req: Request): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (!(req.headers.get("accept") ?? "").includes("text/html")) return false;
  const path = new URL(req.url).pathname;
  return !(path.startsWith("/v1/") || path.startsWith("/ui/") || path === "/metrics" ||
    path === "/healthz");
}
