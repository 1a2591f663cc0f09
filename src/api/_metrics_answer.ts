/**
 * How a scrape of `/metrics` is answered, on either thread (routes/admin.ts on the scheduler's,
 * _front_worker.ts on the front): gzipped when the scraper accepts it (Prometheus does: 1/12 of
 * the bytes to send), never cached by a proxy.
 *
 * @example
 * ```ts
 * import { acceptsGzip, metricsHeaders } from "./_metrics_answer.ts";
 * const gzip = acceptsGzip("gzip");
 * metricsHeaders("text/plain; version=0.0.4; charset=utf-8", gzip)["content-encoding"]; // "gzip"
 * ```
 *
 * @module
 */

/**
 * True when an `Accept-Encoding` header accepts gzip (`gzip` or `*`, not with `q=0`).
 *
 * @example
 * ```ts
 * import { acceptsGzip } from "./_metrics_answer.ts";
 * acceptsGzip("gzip, deflate"); // true
 * acceptsGzip("gzip;q=0"); // false
 * ```
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.toLowerCase().split(",")) {
    const [coding, ...params] = part.trim().split(";");
    if (coding.trim() !== "gzip" && coding.trim() !== "*") continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/**
 * The headers of a `/metrics` answer.
 *
 * @example
 * ```ts
 * import { metricsHeaders } from "./_metrics_answer.ts";
 * metricsHeaders("text/plain", false).vary; // "accept-encoding"
 * ```
 */
export function metricsHeaders(contentType: string, gzip: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": contentType,
    "cache-control": "no-store",
    vary: "accept-encoding",
  };
  if (gzip) headers["content-encoding"] = "gzip";
  return headers;
}
