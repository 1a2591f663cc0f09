/**
 * The admin API steps aside just before occurrences are due: the API shares its thread with the
 * scheduler, and Deno hands a busy server's ready requests to their handlers one after the
 * other without a pause (200 clients: 60–100 ms), so a run due meanwhile waited for all of
 * them (the load torture: lateness 30–90 ms with clients, 1–20 ms without). A request that
 * comes less than {@link GATE_MS} before the next occurrences recorded ahead are due waits until
 * they have started (at most {@link GATE_MAX_WAIT_MS}); the others are handled at once. The
 * check is made by each request as it comes, so a long batch of requests is cut where the gate
 * closes.
 *
 * @example
 * ```ts
 * import { gated } from "./_gate.ts";
 * const handler = gated((_req: Request) => new Response("ok"), () => Infinity);
 * const res = await handler(new Request("http://localhost/healthz"));
 * ```
 * @module
 */

/** How long before occurrences are due new requests wait for them (milliseconds). */
export const GATE_MS = 20;
/** The longest a request waits at the gate (the runs may be held up by something else). */
export const GATE_MAX_WAIT_MS = 200;

/**
 * `handler`, waiting while `dueIn()` (milliseconds until the next occurrences are due on the
 * scheduler's clock, Infinity for none) is under {@link GATE_MS} (negative: they are due and
 * have not started yet).
 *
 * @example
 * ```ts
 * import { gated } from "./_gate.ts";
 * const dueAt = Date.now() + 10;
 * const handler = gated((_req: Request) => new Response("after"), () => dueAt - Date.now());
 * const res = await handler(new Request("http://localhost/")); // answered after dueAt
 * ```
 */
export function gated<A extends unknown[]>(
  handler: (req: Request, ...rest: A) => Response | Promise<Response>,
  dueIn: () => number,
): (req: Request, ...rest: A) => Response | Promise<Response> {
  const later = async (req: Request, rest: A): Promise<Response> => {
    const since = performance.now();
    for (let left = dueIn(); left < GATE_MS; left = dueIn()) {
      if (performance.now() - since >= GATE_MAX_WAIT_MS) break;
      // A timer that expires after the scheduler's: it fires once the due runs had their turn.
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(1, left + 1), 50)));
    }
    return handler(req, ...rest);
  };
  return (req, ...rest) => dueIn() < GATE_MS ? later(req, rest) : handler(req, ...rest);
}
