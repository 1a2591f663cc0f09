/**
 * The admin API steps aside just before occurrences are due: the API shares its thread with the
 * scheduler, and Deno hands a busy server's ready requests to their handlers one after the
 * other without a pause (200 clients: 60–100 ms), so a run due meanwhile waited for all of
 * them (the load torture: lateness 30–90 ms with clients, 1–20 ms without). A request that
 * comes less than {@link GATE_MS} before the next occurrences recorded ahead are due waits until
 * they have started (at most {@link GATE_MAX_WAIT_MS}); the others are handled at once. The
 * check is made by each request as it comes, so a long batch of requests is cut where the gate
 * closes. The front thread (_front_worker.ts) holds back every request the same way.
 *
 * @example
 * ```ts
 * import { gated } from "./_gate.ts";
 * const handler = gated((_req: Request) => new Response("ok"), () => Infinity, Date.now);
 * const res = await handler(new Request("http://localhost/healthz"));
 * ```
 * @module
 */

/** How long before occurrences are due new requests wait for them (milliseconds). */
export const GATE_MS = 20;
/** The longest a request waits at the gate (the runs may be held up by something else). */
export const GATE_MAX_WAIT_MS = 200;

/**
 * `handler`, holding a request that comes less than {@link GATE_MS} before `nextAt()` (when
 * the next occurrences recorded ahead are due, on the clock `now()` reads; Infinity for none)
 * until those have started, that is until `nextAt()` moves on (at most
 * {@link GATE_MAX_WAIT_MS}). A request waits for the occurrences due when it came, never for
 * the ones after them: interval jobs defined one after the other fall due in groups a few
 * milliseconds apart, and waiting until nothing was due within {@link GATE_MS} held requests
 * for the whole cap (the load torture: 0.7 % of them, 210 ms median).
 *
 * @example
 * ```ts
 * import { gated } from "./_gate.ts";
 * const dueAt = Date.now() + 10;
 * const nextAt = () => (Date.now() < dueAt ? dueAt : Infinity); // they start on the dot
 * const handler = gated((_req: Request) => new Response("after"), nextAt, Date.now);
 * const res = await handler(new Request("http://localhost/")); // answered after dueAt
 * ```
 */
export function gated<A extends unknown[]>(
  handler: (req: Request, ...rest: A) => Response | Promise<Response>,
  nextAt: () => number,
  now: () => number,
): (req: Request, ...rest: A) => Response | Promise<Response> {
  const later = async (req: Request, rest: A, at: number): Promise<Response> => {
    const since = performance.now();
    while (nextAt() === at && performance.now() - since < GATE_MAX_WAIT_MS) {
      // A timer that expires after the scheduler's: it fires once the due runs had their turn.
      const left = at - now();
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(1, left + 1), 50)));
    }
    return handler(req, ...rest);
  };
  return (req, ...rest) => {
    const at = nextAt();
    return at - now() < GATE_MS ? later(req, rest, at) : handler(req, ...rest);
  };
}
