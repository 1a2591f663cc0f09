/**
 * Input checks for path and query parameters. Job names and run ids end up in file paths
 * (run logs), so they are matched against strict patterns before anything else sees them.
 *
 * @example
 * ```ts
 * import { jobNameParam, limitParam } from "./validate.ts";
 * jobNameParam("nightly-backup"); // "nightly-backup"
 * limitParam("50", 100, 1000); // 50
 * ```
 * @module
 */
import type { PauseOptions } from "../engine/mod.ts";
import { onlyKeys } from "./body.ts";
import { ApiError } from "./errors.ts";

/**
 * Job names (DESIGN §3).
 *
 * @example
 * ```ts
 * import { JOB_NAME_RE } from "./validate.ts";
 * JOB_NAME_RE.test("nightly.backup"); // true
 * ```
 */
export const JOB_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/**
 * Run ids are ULIDs: 26 Crockford base32 characters.
 *
 * @example
 * ```ts
 * import { RUN_ID_RE } from "./validate.ts";
 * RUN_ID_RE.test("01M85X24Q7JVY3ZX1BV5FTWPV4"); // true
 * ```
 */
export const RUN_ID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * Returns `raw` if it is a valid job name, else throws a 400 `invalid_name`.
 *
 * @example
 * ```ts
 * import { jobNameParam } from "./validate.ts";
 * jobNameParam("a.b_c-1"); // "a.b_c-1"
 * // jobNameParam("../x") throws ApiError 400
 * ```
 */
export function jobNameParam(raw: string): string {
  if (!JOB_NAME_RE.test(raw)) {
    throw new ApiError(
      400,
      "invalid_name",
      `${JSON.stringify(clip(raw))} is not a job name ([A-Za-z0-9][A-Za-z0-9._-]{0,63})`,
    );
  }
  return raw;
}

/**
 * Returns `raw` if it is a valid run id (a ULID), else throws a 400 `bad_request`.
 *
 * @example
 * ```ts
 * import { runIdParam } from "./validate.ts";
 * runIdParam("01J5Z3XK7Q8V9W0Y1Z2A3B4C5D"); // "01J5Z3XK7Q8V9W0Y1Z2A3B4C5D"
 * ```
 */
export function runIdParam(raw: string): string {
  if (!RUN_ID_RE.test(raw)) {
    throw new ApiError(
      400,
      "bad_request",
      `${JSON.stringify(clip(raw))} is not a run id (26-character ULID)`,
    );
  }
  return raw;
}

/**
 * Parses a `?limit=` value: absent → `fallback`; else an integer in `1..max`, or a 400.
 *
 * @example
 * ```ts
 * import { limitParam } from "./validate.ts";
 * limitParam(undefined, 100, 1000); // 100
 * // limitParam("0", 100, 1000) throws ApiError 400
 * ```
 */
export function limitParam(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new ApiError(
      400,
      "bad_request",
      `limit must be an integer from 1 to ${max}, not ${JSON.stringify(clip(raw))}`,
    );
  }
  return Number(raw);
}

/**
 * Parses an event sequence number (`Last-Event-ID`, `?lastEventId=`): absent → null; else a
 * non-negative integer, or a 400.
 *
 * @example
 * ```ts
 * import { seqParam } from "./validate.ts";
 * seqParam("42"); // 42
 * seqParam(null); // null
 * ```
 */
export function seqParam(raw: string | null | undefined): number | null {
  if (raw === null || raw === undefined || raw === "") return null;
  if (!/^\d{1,15}$/.test(raw)) {
    throw new ApiError(
      400,
      "bad_request",
      `Last-Event-ID must be an event sequence number, not ${JSON.stringify(clip(raw))}`,
    );
  }
  return Number(raw);
}

/** Echoes at most 80 characters of bad input back: enough to recognise it, not a reflection channel. */
function clip(s: string): string {
  return s.length > 80 ? s.slice(0, 80) + "…" : s;
}

/**
 * Parses the body of `POST /v1/jobs/:name/pause`.
 *
 * @example
 * ```ts
 * import { pauseOptions } from "./validate.ts";
 * pauseOptions({ for: "24h" }); // { for: "24h" }
 * pauseOptions({}); // {}
 * ```
 */
export function pauseOptions(body: Record<string, unknown>): PauseOptions {
  onlyKeys(body, ["for", "until"]);
  if (body.for !== undefined && body.until !== undefined) {
    throw new ApiError(400, "bad_request", 'give either "for" or "until", not both');
  }
  const out: PauseOptions = {};
  if (body.for !== undefined && body.for !== null) {
    if (typeof body.for !== "string" && typeof body.for !== "number") {
      throw new ApiError(400, "bad_request", '"for" must be a duration such as "24h"');
    }
    out.for = body.for;
  }
  if (body.until !== undefined && body.until !== null) {
    if (typeof body.until !== "string" && typeof body.until !== "number") {
      throw new ApiError(400, "bad_request", '"until" must be an ISO date-time');
    }
    if (Number.isNaN(new Date(body.until).getTime())) {
      throw new ApiError(
        400,
        "bad_request",
        `"until": ${JSON.stringify(body.until)} is not a date-time`,
      );
    }
    out.until = body.until;
  }
  return out;
}
