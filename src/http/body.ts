/**
 * JSON request bodies: optional (an empty body is `{}`), but when present they must say
 * `Content-Type: application/json` (415 otherwise; this also keeps HTML forms, which cannot
 * send that type cross-site without a CORS preflight, away from the JSON API) and be a JSON
 * object (400 otherwise). The 64 KiB cap is enforced before this by `bodyLimit`.
 *
 * @example
 * ```ts
 * import { jsonBody } from "./body.ts";
 * const req = new Request("http://x/", { method: "POST", body: '{"for":"1h"}', headers: { "content-type": "application/json" } });
 * await jsonBody(req); // { for: "1h" }
 * ```
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";

/**
 * Caps request bodies at `maxBytes` (`tooLarge` answers above). A declared `Content-Length`
 * is checked without reading; a body without one (chunked, or a bare POST) is read up to the
 * cap and handed on as a fresh request. Unlike `hono/body-limit`, that request is built from
 * the URL, method and headers alone: copying the incoming request would touch its `signal`,
 * and Deno.serve then prints its one-time "request.signal aborts on successful responses
 * (legacy behavior)" warning on stderr, a raw line in a JSON log.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { limitBody } from "./body.ts";
 * const app = new Hono();
 * app.use("*", limitBody(16, (c) => c.text("too large", 413)));
 * app.post("/", async (c) => c.text(await c.req.text()));
 * const res = await app.request("/", { method: "POST", body: "x".repeat(17) });
 * res.status; // 413
 * ```
 */
export function limitBody(
  maxBytes: number,
  tooLarge: (c: Context) => Response | Promise<Response>,
): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (raw.body === null) return next();
    const declared = raw.headers.get("content-length");
    if (declared !== null && !raw.headers.has("transfer-encoding")) {
      return Number(declared) > maxBytes ? tooLarge(c) : next();
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of raw.body) {
      size += chunk.byteLength;
      if (size > maxBytes) return tooLarge(c);
      chunks.push(chunk);
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      body.set(chunk, at);
      at += chunk.byteLength;
    }
    c.req.raw = new Request(raw.url, { method: raw.method, headers: raw.headers, body });
    return next();
  };
}

/**
 * The request's JSON object body, `{}` when there is none.
 *
 * @example
 * ```ts
 * import { jsonBody } from "./body.ts";
 * await jsonBody(new Request("http://x/", { method: "POST" })); // {}
 * ```
 */
export async function jsonBody(req: Request): Promise<Record<string, unknown>> {
  if (req.body === null) return {};
  return parseJsonBody(await req.text(), req.headers.get("content-type"));
}

/**
 * A body's text as {@link jsonBody} reads it: `{}` when blank, else a JSON object sent as
 * `application/json` (415 for another type, 400 for anything but an object).
 *
 * @example
 * ```ts
 * import { parseJsonBody } from "./body.ts";
 * parseJsonBody(' {"for": "1h"} ', "application/json"); // { for: "1h" }
 * parseJsonBody("  ", null); // {}
 * ```
 */
export function parseJsonBody(
  text: string,
  contentType: string | null,
): Record<string, unknown> {
  if (text.trim() === "") return {};
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? "")) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      "request bodies must be JSON (Content-Type: application/json)",
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, "bad_request", "the request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiError(400, "bad_request", "the request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/**
 * Throws a 400 when `body` has keys other than `allowed`.
 *
 * @example
 * ```ts
 * import { onlyKeys } from "./body.ts";
 * onlyKeys({ for: "1h" }, ["for", "until"]); // ok
 * ```
 */
export function onlyKeys(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k)) {
      throw new ApiError(
        400,
        "bad_request",
        `unknown field ${JSON.stringify(k)} (allowed: ${allowed.join(", ") || "none"})`,
      );
    }
  }
}
