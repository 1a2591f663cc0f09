/**
 * The front's shortcut for `POST /v1/jobs/:name/trigger`, the one write that clients send all
 * day (a CI pipeline, a button, a load test's 1 %): instead of forwarding the whole request (its
 * headers and body cloned across, a `Request` built again and the admin app run on the
 * scheduler's thread), the front checks what the app's middleware would and sends the job's
 * name; the scheduler's thread calls `trigger` as the route does and answers as it does
 * (_front.ts). Measured over the socket, one trigger at a time, the scheduler's thread spent
 * 445–535 µs on each forwarded one, against 105–125 µs for the same `trigger` called in the
 * library with the API served (scripts/bench/trigger.ts; 295–385 µs with the shortcut).
 *
 * Only a request the app would pass to the route takes the shortcut: authenticated as the app
 * authenticates it (the socket, or the bearer token on TCP: a session cookie is the app's to
 * check), same-origin by the app's own rule (http/csrf.ts), a name the route accepts as it is,
 * and no body but an empty one or `{}` as JSON. Anything else, and any refusal of the trigger
 * itself, goes to the app, whose answer stays the one source of errors.
 *
 * @example
 * ```ts
 * import { emptyJsonBody, triggerTarget } from "./_front_trigger.ts";
 * const req = new Request("http://kron/v1/jobs/backup/trigger", { method: "POST" });
 * triggerTarget(req, new URL(req.url).pathname, "socket"); // "backup"
 * emptyJsonBody(null, null); // true
 * ```
 * @module
 */
import { JOB_NAME_RE, parseJsonBody, sameOriginRequest } from "../http/mod.ts";

const TRIGGER_PATH = /^\/v1\/jobs\/([^/]+)\/trigger$/;
/** A body longer than this is not `{}` with some spaces: the app reads it. */
const SHORT_BODY = 256;

/**
 * The job a trigger request names when the shortcut may answer it (`auth`: how the request was
 * authenticated, as the app would record it); null: forward it to the app.
 *
 * @example
 * ```ts
 * import { triggerTarget } from "./_front_trigger.ts";
 * const req = new Request("http://kron/v1/jobs/a%20b/trigger", { method: "POST" });
 * triggerTarget(req, new URL(req.url).pathname, "socket"); // null: the app refuses the name
 * ```
 */
export function triggerTarget(
  req: Request,
  path: string,
  auth: "socket" | "bearer",
): string | null {
  if (req.method !== "POST") return null;
  const m = TRIGGER_PATH.exec(path);
  // A valid name holds no `%`: the app's decoded parameter is the same string.
  if (m === null || !JOB_NAME_RE.test(m[1])) return null;
  return sameOriginRequest(req, auth) ? m[1] : null;
}

/**
 * Whether `body` is what the trigger route reads as no fields: none, blanks, or a JSON object
 * without keys sent as `application/json` (the route refuses any field, and a body of another
 * type with 415).
 *
 * @example
 * ```ts
 * import { emptyJsonBody } from "./_front_trigger.ts";
 * const body = new TextEncoder().encode("{ }");
 * emptyJsonBody(body, "application/json"); // true
 * emptyJsonBody(body, "text/plain"); // false: the app answers 415
 * ```
 */
export function emptyJsonBody(body: Uint8Array | null, contentType: string | null): boolean {
  if (body === null) return true;
  if (body.length > SHORT_BODY) return false;
  try {
    // The route's own reading of a body (jsonBody), then its "no field allowed".
    return Object.keys(parseJsonBody(new TextDecoder().decode(body), contentType)).length === 0;
  } catch {
    return false; // the app's 400 or 415
  }
}
