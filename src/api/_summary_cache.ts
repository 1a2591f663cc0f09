/**
 * Each job's summary in `GET /v1/jobs`, kept as JSON text until the job changes. Under load the
 * state changes every millisecond (thousands of jobs running), so a page cached by state version
 * was never reused, and every page of 1,000 jobs built 1,000 summaries (~3 ms of the scheduler's
 * thread; 200 polling clients made that most of its time). A summary changes with its job's
 * events (run started or ended, paused, late…) and with the definitions: a summary is kept while
 * the engine's count of the job's folded events (`Engine.folds`, moved the moment the state
 * changes) and its definition epoch are unchanged, and for at most the current second (a change
 * that comes without an event, such as a job stalled while the log refused writes, shows within
 * a second).
 *
 * Memory: one JSON string per job listed (~300–400 bytes).
 *
 * @example
 * ```ts
 * import { summariesFor } from "./_summary_cache.ts";
 * import { Kron } from "../kron/mod.ts";
 * const kron = new Kron({ store: "memory" }).schedule("tick", { every: "1m" }, () => {});
 * summariesFor(kron).json("tick", Date.now()); // '{"name":"tick",…}'
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import { jobSummary } from "../http/mod.ts";
import type { AdminHost } from "./host.ts";
import { perHost } from "./_per_host.ts";

interface Entry {
  version: number;
  epoch: number;
  second: number;
  json: string;
}

/**
 * The summaries of one Kron.
 *
 * @example
 * ```ts
 * import { SummaryCache } from "./_summary_cache.ts";
 * import { Kron } from "../kron/mod.ts";
 * const cache = new SummaryCache(new Kron({ store: "memory" }));
 * cache.json("nope", Date.now()); // null: no such job
 * ```
 */
export class SummaryCache {
  readonly #kron: AdminHost;
  readonly #entries = new Map<string, Entry>();
  #epoch = -1;

  /** Keeps the summaries of `kron`'s jobs. */
  constructor(kron: AdminHost) {
    this.#kron = kron;
  }

  /** The summary of `name` as JSON text at `now` (ms), or null when there is no such job. */
  json(name: string, now: number): string | null {
    const engine = this.#kron.engine;
    const epoch = engine.definitionEpoch;
    if (epoch !== this.#epoch) {
      // Jobs defined, redefined or removed: start over (forgotten jobs leave no entry behind).
      this.#entries.clear();
      this.#epoch = epoch;
    }
    const version = engine.folds(name);
    const second = Math.floor(now / 1000);
    const kept = this.#entries.get(name);
    if (kept && kept.version === version && kept.second === second) return kept.json;
    let json: string;
    try {
      json = JSON.stringify(jobSummary(this.#kron.summary(name)));
    } catch (e) {
      // Forgotten between listing and reading: left out of the page.
      if (e instanceof KronError && e.code === "unknown_job") return null;
      throw e;
    }
    this.#entries.set(name, { version, epoch, second, json });
    return json;
  }
}

/**
 * The shared {@link SummaryCache} of a Kron.
 *
 * @example
 * ```ts
 * import { summariesFor } from "./_summary_cache.ts";
 * import { Kron } from "../kron/mod.ts";
 * const kron = new Kron({ store: "memory" });
 * summariesFor(kron) === summariesFor(kron); // true
 * ```
 */
export const summariesFor: (kron: AdminHost) => SummaryCache = perHost((kron) =>
  new SummaryCache(kron)
);
