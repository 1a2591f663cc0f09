/**
 * The one executor of function jobs run in this process: `Kron.schedule`'s functions and a
 * `jobs.ts` file's `run` without a sandbox (`JobRuntime`'s in-process executor) both go
 * through it.
 *
 * @example
 * ```ts
 * import { functionExecutor } from "./function_executor.ts";
 * const exec = functionExecutor(() => 42);
 * ```
 * @module
 */
import type { Executor, JobFunction } from "./types.ts";

/**
 * Wraps a job function as an executor: sync throws and rejections are failures, anything it
 * returns or resolves to is ignored.
 *
 * @example
 * ```ts
 * import { functionExecutor } from "./function_executor.ts";
 * const exec = functionExecutor(async (ctx) => console.log(ctx.job));
 * ```
 */
export function functionExecutor(fn: JobFunction): Executor {
  // Not an async wrapper: one promise and one continuation less per run. A sync throw reaches
  // the engine, which records it as the run's failure.
  return (ctx) => {
    const r = fn(ctx) as unknown;
    if (r === null || (typeof r !== "object" && typeof r !== "function")) return undefined;
    if (typeof (r as PromiseLike<unknown>).then !== "function") return undefined;
    return Promise.resolve(r).then(ignore);
  };
}

function ignore(): void {}
