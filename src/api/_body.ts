/**
 * JSON request bodies: optional (an empty body is `{}`), but when present they must say
 * `Content-Type: application/json` (415 otherwise; this also keeps HTML forms, which cannot
 * send that type cross-site without a CORS preflight, away from the JSON API) and be a JSON
 * object (400 otherwise). The 64 KiB cap is enforced before this by `bodyLimit`.
 *
 * @example
 * ```ts
 * import { jsonBody } from "./_body.ts";
 * const req = new Request("http://x/", { method: "POST", body: '{"for":"1h"}', headers: { "content-type": "application/json" } });
 * await jsonBody(req); // { for: "1h" }
 * ```
 * @module
 */
import { ApiError } from "./errors.ts";

/**
 * The request's JSON object body, `{}` when there is none.
 *
 * @example
 * ```ts
 * import { jsonBody } from "./_body.ts";
 * await jsonBody(new Request("http://x/", { method: "POST" })); // {}
 * ```
 */
export async function jsonBody(req: Request): Promise<Record<string, unknown>> {
  if (req.body === null) return {};
  const text = await req.text();
  if (text.trim() === "") return {};
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
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
 * import { onlyKeys } from "./_body.ts";
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
