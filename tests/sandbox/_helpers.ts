// Shared helpers of the sandbox tests: a Kron with an in-memory store driving a JobRuntime
// that loads a jobs.ts the way `kron run` does (sandboxed), plus polling.
import { until as poll } from "../_util/poll.ts";
import { Kron } from "../../src/kron/mod.ts";
import { loadJobFile } from "../../src/jobs/job_file.ts";
import { emptyPermissions, JobRuntime, type Permissions } from "../../src/jobs/runtime.ts";
import type { RunRecord } from "../../src/engine/types.ts";

export { emptyPermissions };

export interface Rig {
  dir: string;
  kron: Kron;
  runtime: JobRuntime;
  /** Waits for a finished run of `job` matching `pred`. */
  run(job: string, pred?: (r: RunRecord) => boolean, timeoutMs?: number): Promise<RunRecord>;
  close(): Promise<void>;
}

/** Writes `jobs.ts` (and any other files) into a temp dir and starts it sandboxed. */
export async function rig(
  files: Record<string, string>,
  grant: Partial<Permissions> = {},
  options: { sandboxGraceMs?: number; sandboxWorkers?: number } = {},
): Promise<Rig> {
  const dir = await Deno.makeTempDir({ prefix: "kron-sandbox-" });
  for (const [name, text] of Object.entries(files)) {
    // `deno test` type-checks what workers load (`deno run` does not): these small job files
    // are untyped on purpose, so they opt out.
    const header = name.endsWith(".ts") ? "// @ts-nocheck\n" : "";
    await Deno.writeTextFile(`${dir}/${name}`, header + text);
  }
  const permissions = { ...emptyPermissions(), ...grant };
  const file = await loadJobFile(`${dir}/jobs.ts`, { sandbox: permissions, keepWarm: true });
  const kron = new Kron({ store: "memory" });
  const runtime = new JobRuntime(kron, {
    dataDir: dir,
    permissions,
    sandboxGraceMs: options.sandboxGraceMs,
    sandboxWorkers: options.sandboxWorkers,
  });
  runtime.apply(file);
  await kron.start();
  return {
    dir,
    kron,
    runtime,
    async run(job, pred = () => true, timeoutMs = 10_000) {
      return await until(
        async () => {
          const runs = await kron.history(job, { limit: 50 });
          return runs.find((r) => r.outcome !== null && pred(r)) ?? null;
        },
        `a finished run of ${job}`,
        timeoutMs,
      );
    },
    async close() {
      await kron.shutdown({ timeout: 0 });
      await runtime.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

export function until<T>(
  fn: () => Promise<T> | T,
  what: string,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  return poll(fn, what, timeoutMs, 25);
}
