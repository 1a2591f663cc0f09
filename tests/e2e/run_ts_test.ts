// `kron run jobs.ts`: function jobs (in their sandbox workers), their run context, failures and
// the `kron` settings export; a TS file's data dir setting is honoured by the read commands.
import { assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { kron, project, startRun, until } from "./_cli.ts";

Deno.test("kron run jobs.ts: function jobs with context, failures and settings", async () => {
  const p = project();
  p.write(
    "jobs.ts",
    `import { defineJobs } from "${new URL("../../src/jobs/mod.ts", import.meta.url).href}";

export const kron = { dataDir: "state", logFormat: "json" as const };

export default defineJobs({
  tick: {
    every: "500ms",
    description: "writes its context",
    run: async (ctx) => {
      await Deno.writeTextFile("tick.json", JSON.stringify({
        job: ctx.job, runId: ctx.runId, attempt: ctx.attempt, key: ctx.idempotencyKey,
        aborted: ctx.signal.aborted,
      }));
      ctx.log.info("ticked");
    },
  },
  boom: {
    cron: "0 0 1 1 *",
    timezone: "UTC",
    retries: 1,
    retryDelay: "50ms",
    run: () => { throw new Error("kaboom"); },
  },
});
`,
  );
  // No KRON_DATA_DIR: the file's `dataDir` (relative to the file) is used.
  const opts = { cwd: p.dir };
  // The jobs write tick.json: that needs a grant (sandboxed jobs get nothing by default).
  const rt = await startRun(["--allow-write=tick.json"], opts);
  try {
    const ctx = await until(() => {
      try {
        return JSON.parse(Deno.readTextFileSync(`${p.dir}/tick.json`));
      } catch {
        return null;
      }
    }, "tick to run");
    assertEquals(ctx.job, "tick");
    assertEquals(ctx.attempt, 1);
    assertEquals(ctx.aborted, false);
    assertMatch(ctx.key, /^tick:\d{4}-\d\d-\d\dT/);
    // JSON logs: one object per line with the run's fields.
    const line = await rt.waitFor(/^\{.*"message":"ticked".*\}$/m);
    const rec = JSON.parse(line[0]);
    assertEquals(rec.job, "tick");
    assertEquals(rec.category, "kron.job.tick");
    assertEquals(typeof rec.runId, "string");

    const trig = await kron(["trigger", "boom"], opts);
    assertEquals(trig.code, 0, trig.stderr);
    const runs = await until(async () => {
      const r = JSON.parse((await kron(["history", "boom", "--json"], opts)).stdout);
      return r.length === 2 && r[0].outcome ? r : null;
    }, "boom's two attempts");
    assertEquals(runs.map((r: { attempt: number }) => r.attempt), [2, 1]);
    assertEquals(runs[1].error, "kaboom");
    const status = await kron(["status"], opts);
    assertMatch(status.stdout, /^boom\s+failing\s+\S+ \S+\s+dead\s/m);
    assertMatch(status.stdout, /^tick\s+(idle|running)\s+\S+ \S+\s+(ok|—)\s/m);
    const logs = await kron(["logs", "boom"], opts);
    assertEquals(logs.code, 0);
    assertStringIncludes(logs.stderr, "captured no output");
  } finally {
    assertEquals(await rt.stop("SIGINT"), 0, rt.stderr);
    await p.cleanup();
  }
});
