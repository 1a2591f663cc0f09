/**
 * One object per scheduler, made on first use and shared by every app serving it (the socket's
 * and the TCP one): the event hub, the metrics, the job-name index, the summary cache. Options
 * passed later than the first call are ignored (the first app decides).
 *
 * @example
 * ```ts
 * import { perHost } from "./_per_host.ts";
 * import { Kron } from "../kron/mod.ts";
 * const countFor = perHost(() => ({ n: 0 }));
 * const kron = new Kron({ store: "memory" });
 * countFor(kron) === countFor(kron); // true
 * ```
 * @module
 */
import type { AdminHost } from "./host.ts";

/**
 * Wraps `make` so that each scheduler gets one result, kept as long as the scheduler is.
 *
 * @example
 * ```ts
 * import { perHost } from "./_per_host.ts";
 * const labelFor = perHost((_kron, label: string) => ({ label }));
 * ```
 */
export function perHost<T, A extends unknown[]>(
  make: (kron: AdminHost, ...args: A) => T,
): (kron: AdminHost, ...args: A) => T {
  const made = new WeakMap<AdminHost, T>();
  return (kron, ...args) => {
    let value = made.get(kron);
    if (value === undefined) {
      value = make(kron, ...args);
      made.set(kron, value);
    }
    return value;
  };
}
