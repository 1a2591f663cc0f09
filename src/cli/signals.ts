/**
 * One interrupt, one shutdown. A Ctrl-C in a terminal signals the whole foreground process group:
 * under `npx -y deno@… task kron run` that is npx's node, `deno task` and kron, and npx forwards
 * its copy to its child, so kron sees SIGINT two or three times within a millisecond. Likewise
 * systemd and `kill -TERM -PGID` send SIGTERM to every process of the group. Copies of a signal
 * that arrive within {@link SIGNAL_WINDOW_MS} of the first one are that same request; a signal
 * after the window is a person asking again, and forces the exit.
 *
 * @example
 * ```ts
 * import { signalGate } from "./signals.ts";
 * const gate = signalGate();
 * gate("SIGINT"); // "stop"
 * gate("SIGINT"); // "ignore" (a copy, within 500 ms)
 * ```
 * @module
 */

/**
 * How long after the first shutdown signal more signals count as copies of it.
 *
 * @example
 * ```ts
 * import { SIGNAL_WINDOW_MS } from "./signals.ts";
 * SIGNAL_WINDOW_MS; // 500
 * ```
 */
export const SIGNAL_WINDOW_MS = 500;

/**
 * What to do with a shutdown signal: start the graceful shutdown, ignore a copy of the first
 * signal, or exit at once (a deliberate second request).
 *
 * @example
 * ```ts
 * import type { SignalAction } from "./signals.ts";
 * const a: SignalAction = "stop";
 * ```
 */
export type SignalAction = "stop" | "ignore" | "force";

/**
 * A decision function for shutdown signals. The first signal stops; any shutdown signal within
 * `windowMs` of it (another copy, or the group's SIGTERM beside a SIGINT) is ignored; one after
 * the window forces the exit.
 *
 * @example
 * ```ts
 * import { signalGate } from "./signals.ts";
 * let t = 0;
 * const gate = signalGate(500, () => t);
 * gate("SIGTERM"); // "stop"
 * t = 499;
 * gate("SIGTERM"); // "ignore"
 * t = 1200;
 * gate("SIGTERM"); // "force"
 * ```
 */
export function signalGate(
  windowMs: number = SIGNAL_WINDOW_MS,
  now: () => number = () => performance.now(),
): (signal: Deno.Signal) => SignalAction {
  let first: number | null = null;
  return () => {
    const t = now();
    if (first === null) {
      first = t;
      return "stop";
    }
    return t - first < windowMs ? "ignore" : "force";
  };
}
