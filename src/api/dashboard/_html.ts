/**
 * A tiny synchronous HTML template tag: interpolated strings and numbers are escaped, arrays
 * are joined, {@link Html} values (other templates, {@link raw}) go in as they are. Pages are
 * rendered in one pass to one string: no build step, no virtual DOM.
 *
 * @example
 * ```ts
 * import { html } from "./_html.ts";
 * html`<b>${"<script>"}</b>`.value; // "<b>&lt;script&gt;</b>"
 * ```
 * @module
 */

/**
 * Markup that is already safe to insert.
 *
 * @example
 * ```ts
 * import { Html, html } from "./_html.ts";
 * html`<p>x</p>` instanceof Html; // true
 * ```
 */
export class Html {
  /** The markup. */
  readonly value: string;
  /** Wraps markup (use {@link html} or {@link raw} rather than this). */
  constructor(value: string) {
    this.value = value;
  }
  /** The markup. */
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./_html.ts";
 * escapeHtml(`a<b & "c"`); // "a&lt;b &amp; &quot;c&quot;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/**
 * What may be interpolated. `null`, `undefined` and `false` render nothing.
 *
 * @example
 * ```ts
 * import { html, type HtmlValue } from "./_html.ts";
 * const cell = (v: HtmlValue) => html`<td>${v}</td>`;
 * ```
 */
export type HtmlValue = Html | string | number | boolean | null | undefined | HtmlValue[];

function append(out: string[], v: HtmlValue): void {
  if (v === null || v === undefined || v === false || v === true) return;
  if (v instanceof Html) out.push(v.value);
  else if (Array.isArray(v)) { for (const x of v) append(out, x); }
  else out.push(escapeHtml(String(v)));
}

/**
 * The template tag.
 *
 * @example
 * ```ts
 * import { html } from "./_html.ts";
 * const items = ["a", "b"].map((x) => html`<li>${x}</li>`);
 * html`<ul>${items}</ul>`.value; // "<ul><li>a</li><li>b</li></ul>"
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  const out: string[] = [strings[0]];
  for (let i = 0; i < values.length; i++) {
    append(out, values[i]);
    out.push(strings[i + 1]);
  }
  return new Html(out.join(""));
}

/**
 * Inserts trusted markup unescaped (constant CSS and script only).
 *
 * @example
 * ```ts
 * import { html, raw } from "./_html.ts";
 * html`<style>${raw("b{color:red}")}</style>`.value; // "<style>b{color:red}</style>"
 * ```
 */
export function raw(markup: string): Html {
  return new Html(markup);
}

/**
 * A fresh CSP nonce (128 random bits, base64).
 *
 * @example
 * ```ts
 * import { newNonce } from "./_html.ts";
 * newNonce().length; // 24
 * ```
 */
export function newNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

/**
 * Headers of every HTML answer: a strict CSP (only our own nonce'd inline style and script,
 * fetches and forms to our own origin, no framing), no sniffing, no referrer, no caching.
 *
 * @example
 * ```ts
 * import { htmlHeaders } from "./_html.ts";
 * htmlHeaders("abc")["content-security-policy"].includes("'nonce-abc'"); // true
 * ```
 */
export function htmlHeaders(nonce: string): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy":
      `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; ` +
      `connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
  };
}

/**
 * An HTML response rendered with a fresh nonce.
 *
 * @example
 * ```ts
 * import { html, htmlResponse } from "./_html.ts";
 * const res = htmlResponse((nonce) => html`<p nonce="${nonce}">hi</p>`);
 * res.headers.get("content-type"); // "text/html; charset=utf-8"
 * ```
 */
export function htmlResponse(
  render: (nonce: string) => Html,
  status = 200,
  headers?: Record<string, string>,
): Response {
  const nonce = newNonce();
  return new Response(render(nonce).value, {
    status,
    headers: { ...htmlHeaders(nonce), ...headers },
  });
}
