/**
 * Scenario 6, the physical floor of timers: how late a bare `setTimeout` fires on this machine
 * (one timer at a time, aligned to the next whole second as a scheduler's are, and short random
 * delays), in ms.
 *
 * @example
 * ```ts
 * import { timerFloor } from "./floor.ts";
 * await timerFloor({ aligned: 5, random: 200 });
 * ```
 * @module
 */
import { preciseNow, sleep, summarize } from "../_util.ts";

/**
 * Lateness of `aligned` timers each due at a whole second and of `random` timers with delays
 * of 1–20 ms. A timer that fires early is re-armed, as kron's is, and counted from then on.
 *
 * @example
 * ```ts
 * await timerFloor({ aligned: 3, random: 100 });
 * ```
 */
export async function timerFloor(
  p: { aligned: number; random: number },
): Promise<Record<string, unknown>> {
  const at = (due: number) =>
    new Promise<number>((resolve) => {
      const arm = () =>
        setTimeout(() => {
          const t = preciseNow();
          if (t < due) arm();
          else resolve(t - due);
        }, Math.max(0, due - Date.now()));
      arm();
    });
  await sleep(50); // let the process settle
  const aligned: number[] = [];
  for (let i = 0; i < p.aligned; i++) {
    aligned.push(await at(Math.ceil(Date.now() / 1000 + 0.2) * 1000));
  }
  const random: number[] = [];
  for (let i = 0; i < p.random; i++) {
    random.push(await at(Math.round(Date.now() + 1 + Math.random() * 19)));
  }
  return { aligned: summarize(aligned), random: summarize(random) };
}
