/**
 * The page frame shared by every dashboard page: head, header bar, toast, inline CSS and JS.
 *
 * @example
 * ```ts
 * import { layout } from "./layout.ts";
 * import { html } from "./_html.ts";
 * const page = layout({ title: "kron", nonce: "n", version: "0.1.0", page: "index", logout: false }, html`<p>hi</p>`);
 * page.value.startsWith("<!doctype html>"); // true
 * ```
 * @module
 */
import { type Html, html, raw } from "./_html.ts";
import { DASHBOARD_JS } from "./script.ts";
import { DASHBOARD_CSS } from "./style.ts";

/**
 * What the frame needs to know.
 *
 * @example
 * ```ts
 * import type { LayoutOptions } from "./layout.ts";
 * const o: LayoutOptions = { title: "kron", nonce: "n", version: "0.1.0", page: "index", logout: false };
 * ```
 */
export interface LayoutOptions {
  title: string;
  nonce: string;
  version: string;
  /** `index`, `job`, `run` (live pages) or `plain` (login, errors: no script). */
  page: "index" | "job" | "run" | "plain";
  /** The job of a job or run page. */
  job?: string;
  /** The run of a run page. */
  run?: string;
  /** Show the log-out button (cookie sessions). */
  logout: boolean;
}

/**
 * A whole page around `content`.
 *
 * @example
 * ```ts
 * import { layout } from "./layout.ts";
 * import { html } from "./_html.ts";
 * layout({ title: "x", nonce: "n", version: "1", page: "plain", logout: false }, html`…`);
 * ```
 */
export function layout(o: LayoutOptions, content: Html): Html {
  const live = o.page !== "plain";
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width,initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <link rel="icon" href="data:,">
        <title>${o.title}</title>
        <style nonce="${o.nonce}">${raw(DASHBOARD_CSS)}</style>
      </head>
      <body data-page="${o.page}" ${o.job ? html`data-job="${o.job}"` : ""} ${o.run
        ? html`data-run="${o.run}"`
        : ""}>
    <a class="skip" href="#main">Skip to content</a>
    <header><a class="brand" href="/">kron</a><span class="ver">v${o.version}</span>${live
      ? html`<span id="live" class="live" title="live updates">live</span>`
      : html`<span class="spacer"></span>`}${o.logout
      ? html`<form method="post" action="/logout"><button type="submit">Log out</button></form>`
      : ""}</header>
    <main id="main">${content}</main>
    <div id="toast" role="status" aria-live="polite"></div>
    ${live ? html`<script nonce="${o.nonce}">${raw(DASHBOARD_JS)}</script>` : ""}
      </body>
    </html>
  `;
}
