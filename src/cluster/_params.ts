/**
 * The checks of a cluster request body's numbers: integers in a range (with a default), and
 * the run's fencing token. Both answer a bad value with a 400 that names the field.
 *
 * @example
 * ```ts
 * import { int } from "./_params.ts";
 * int({ max: 10 }, "max", 1, 1000); // 10
 * ```
 * @module
 */
import { ApiError } from "../http/mod.ts";

/** `body[key]` as an integer from `min` to `max` (`fallback` when absent, else required). */
export function int(
  body: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
  fallback?: number,
): number {
  const v = body[key];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new ApiError(400, "bad_request", `"${key}" is required`);
    return fallback;
  }
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ApiError(400, "bad_request", `"${key}" must be an integer from ${min} to ${max}`);
  }
  return v;
}

/** The run's fencing token from `body.fencingToken` (a number, or a string of digits). */
export function token(body: Record<string, unknown>): number {
  const v = body.fencingToken;
  // Tokens travel as numbers; a string of digits (from a header) is accepted too.
  const n = typeof v === "string" && /^\d{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
    throw new ApiError(400, "bad_request", `"fencingToken" must be the run's fencing token`);
  }
  return n;
}
