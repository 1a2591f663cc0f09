/**
 * Job names in the order lists and pages show them: sorted by code unit, so that a page
 * cursor ("after this name") stays meaningful while jobs come and go. The sorted list is
 * cached until the set of jobs changes, so a page of `GET /v1/jobs` costs a binary search,
 * not a sort of every name.
 *
 * @example
 * ```ts
 * import { JobNames } from "./_job_names.ts";
 * import { Kron } from "../kron/mod.ts";
 * const kron = new Kron({ store: "memory" });
 * kron.schedule("b", { every: "1h" }, () => {}).schedule("a", { every: "1h" }, () => {});
 * new JobNames(kron).page(null, 10); // { names: ["a", "b"], next: null }
 * ```
 * @module
 */
import type { AdminHost } from "./host.ts";
import { perHost } from "./_per_host.ts";
import { pageOf } from "./_front_views.ts";

/**
 * Sorted job names of one Kron, with cursor paging.
 *
 * @example
 * ```ts
 * import { JobNames } from "./_job_names.ts";
 * import { Kron } from "../kron/mod.ts";
 * const names = new JobNames(new Kron({ store: "memory" }));
 * names.page("backup", 100); // the 100 names after "backup"
 * ```
 */
export class JobNames {
  readonly #kron: AdminHost;
  #epoch = 0;
  #key = "";
  #sorted: string[] = [];

  /** Watches `kron`'s definition events to know when the cached order is stale. */
  constructor(kron: AdminHost) {
    this.#kron = kron;
    kron.onEvent((e) => {
      if (e.type === "JOB_DEFINED" || e.type === "JOB_REMOVED") this.#epoch++;
    });
  }

  /** Every job name (defined and orphaned), sorted. */
  all(): string[] {
    const engine = this.#kron.engine;
    const state = engine.state.jobs;
    // Definitions made before start() emit no event: the engine's definition epoch catches
    // those (not a copy of every defined name per page: 10,000 names at each request).
    const key = `${this.#epoch}:${engine.definitionEpoch}:${state.size}`;
    if (key !== this.#key) {
      const names = new Set(engine.definedJobs());
      for (const name of state.keys()) names.add(name);
      this.#sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      this.#key = key;
    }
    return this.#sorted;
  }

  /** Up to `limit` names after `cursor` (exclusive; null = from the start), and the next cursor. */
  page(
    cursor: string | null,
    limit: number,
  ): { names: string[]; next: string | null; total: number } {
    const all = this.all();
    const { names, next } = pageOf(all, cursor, limit);
    return { names, next, total: all.length };
  }
}

/**
 * The shared {@link JobNames} of a Kron.
 *
 * @example
 * ```ts
 * import { jobNamesFor } from "./_job_names.ts";
 * import { Kron } from "../kron/mod.ts";
 * const kron = new Kron({ store: "memory" });
 * jobNamesFor(kron) === jobNamesFor(kron); // true
 * ```
 */
export const jobNamesFor: (kron: AdminHost) => JobNames = perHost((kron) => new JobNames(kron));
