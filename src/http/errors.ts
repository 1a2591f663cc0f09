/**
 * API errors: one JSON shape, `{"error":{"code":"…","message":"…"}}`, and one table from
 * {@link KronError} codes to HTTP statuses, so every route answers failures the same way.
 *
 * @example
 * ```ts
 * import { ApiError, errorResponse } from "./errors.ts";
 * const res = errorResponse(new ApiError(404, "not_found", "no route GET /nope"));
 * res.status; // 404
 * ```
 * @module
 */
import { KronError, type KronErrorCode } from "../errors.ts";

/**
 * Codes the API adds to {@link KronError}'s (transport-level failures).
 *
 * @example
 * ```ts
 * import type { ApiErrorCode } from "./errors.ts";
 * const code: ApiErrorCode = "payload_too_large";
 * ```
 */
export type ApiErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "not_implemented"
  | "internal";

/**
 * An error raised by the API layer itself (bad parameters, auth, content type), with its
 * HTTP status.
 *
 * @example
 * ```ts
 * import { ApiError } from "./errors.ts";
 * throw new ApiError(415, "unsupported_media_type", "send Content-Type: application/json");
 * ```
 */
export class ApiError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Machine-readable code (an {@link ApiErrorCode} or a KronError code such as `invalid_name`). */
  readonly code: string;
  /** Creates the error. */
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.name = "ApiError";
  }
}

const STATUS_OF: Readonly<Record<string, number>> = {
  unknown_job: 404,
  unknown_run: 404,
  conflict: 409,
  duplicate_job: 409,
  locked: 409,
  invalid_option: 400,
  invalid_schedule: 400,
  invalid_name: 400,
  not_started: 503,
  shut_down: 503,
  already_started: 409,
  io: 503,
  corrupt_log: 500,
  unknown_format: 500,
};

/**
 * The HTTP status for a {@link KronError} code (500 for codes it does not know).
 *
 * @example
 * ```ts
 * import { statusForCode } from "./errors.ts";
 * statusForCode("unknown_job"); // 404
 * statusForCode("conflict"); // 409
 * ```
 */
export function statusForCode(code: string): number {
  return STATUS_OF[code] ?? 500;
}

/**
 * The JSON body of an error answer.
 *
 * @example
 * ```ts
 * import { errorBody } from "./errors.ts";
 * errorBody("not_found", "no such route"); // { error: { code: "not_found", message: "no such route" } }
 * ```
 */
export function errorBody(
  code: string,
  message: string,
): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/**
 * Status and body for any thrown value. Unexpected errors become a bare 500 whose message
 * reveals nothing about internals (they are logged by the caller instead).
 *
 * @example
 * ```ts
 * import { describeError } from "./errors.ts";
 * import { KronError, type KronErrorCode } from "../errors.ts";
 * describeError(new KronError("unknown_job", 'no job named "x"')).status; // 404
 * ```
 */
export function describeError(
  e: unknown,
): { status: number; code: string; message: string; expected: boolean } {
  if (e instanceof ApiError) {
    return { status: e.status, code: e.code, message: e.message, expected: true };
  }
  if (e instanceof KronError) {
    return { status: statusForCode(e.code), code: e.code, message: e.message, expected: true };
  }
  return {
    status: 500,
    code: "internal",
    message: "internal error (see the kron log)",
    expected: false,
  };
}

/**
 * A JSON error response for any thrown value.
 *
 * @example
 * ```ts
 * import { ApiError, errorResponse } from "./errors.ts";
 * (await errorResponse(new ApiError(400, "bad_request", "limit must be 1..1000")).json()).error.code;
 * // "bad_request"
 * ```
 */
export function errorResponse(e: unknown, headers?: HeadersInit): Response {
  const { status, code, message } = describeError(e);
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(errorBody(code, message)), { status, headers: h });
}

/**
 * An error answered by the admin API. `code` is the server's (`unknown_job`, `conflict`,
 * `unauthorized`, …; some are API-level codes outside {@link KronErrorCode}).
 *
 * @example
 * ```ts
 * import { AdminApiError } from "./errors.ts";
 * const e = new AdminApiError(404, "unknown_job", 'no job named "x"');
 * e.status; // 404
 * ```
 */
export class AdminApiError extends KronError {
  /** HTTP status. */
  readonly status: number;
  /** Creates the error from a server answer. */
  constructor(status: number, code: string, message: string) {
    super(code as KronErrorCode, message);
    this.status = status;
    this.name = "AdminApiError";
  }

  /**
   * The error of an error answer: the server's code and message from its JSON error body, or,
   * for a body that is not ours (a proxy's error page), `unauthorized` for a 401 and `io` with
   * the status and the body's first 200 characters otherwise.
   *
   * @example
   * ```ts
   * import { AdminApiError } from "./errors.ts";
   * const body = '{"error":{"code":"unknown_job","message":"no job named \\"x\\""}}';
   * const e = await AdminApiError.from(new Response(body, { status: 404 }));
   * e.code; // "unknown_job"
   * ```
   */
  static async from(
    answer: { status: number; text(): Promise<string> },
  ): Promise<AdminApiError> {
    const text = await answer.text();
    try {
      const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body.error?.code === "string" && typeof body.error.message === "string") {
        return new AdminApiError(answer.status, body.error.code, body.error.message);
      }
    } catch {
      // Not our JSON (a proxy's error page): fall through.
    }
    return new AdminApiError(
      answer.status,
      answer.status === 401 ? "unauthorized" : "io",
      `HTTP ${answer.status}: ${text.slice(0, 200)}`,
    );
  }
}
