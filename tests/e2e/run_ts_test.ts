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

Deno.test("a jobs.ts that cannot load: exactly one line, file:line:col, no colour, exit 2", async () => {
  const p = project();
  const files: Record<string, [string, RegExp]> = {
    "syntax.ts": [
      `export default {\n  a: { every: "1m" run: () => {} },\n};\n`,
      /^error: syntax\.ts:2:20: cannot import: SyntaxError: Expected ',', got 'run'$/,
    ],
    "missing.ts": [
      `import { x } from "./nope.ts";\nexport default { a: { every: "1m", run: () => x } };\n`,
      /^error: missing\.ts:1:19: cannot import: .*Module not found ".*\/nope\.ts"\.$/,
    ],
    "throws.ts": [
      `const y = 1;\nthrow new Error("boom at import " + y);\nexport default {};\n`,
      /^error: throws\.ts:2:7: cannot import: Error: boom at import 1$/,
    ],
    "default.ts": [
      `// jobs\nexport default 42;\n`,
      /^error: default\.ts:2:1: the default export must be an object mapping job names to definitions, not a number$/,
    ],
  };
  try {
    for (const [name, [text, expected]] of Object.entries(files)) {
      p.write(name, text);
      const r = await kron(["run", name], { cwd: p.dir, dataDir: `${p.dir}/.kron-${name}` });
      assertEquals(r.code, 2, r.stderr);
      const lines = r.stderr.split("\n").filter((l) => l !== "");
      assertEquals(lines.length, 1, `one line for ${name}: ${JSON.stringify(r.stderr)}`);
      assertMatch(lines[0], expected);
      assertEquals(r.stderr.includes(String.fromCharCode(27)), false, "no ANSI colour into a pipe");
    }
  } finally {
    await p.cleanup();
  }
});

Deno.test("console.* of a TS job goes to its run's log records (job, runId), never raw lines", async () => {
  const p = project();
  p.write(
    "jobs.ts",
    `console.log("loading");
export const kron = { logFormat: "json" };
export default {
  chatty: { every: "300ms", run: (ctx) => { console.log("hello from", ctx.job, { n: 1 }); console.error("oops"); } },
};
`,
  );
  const rt = await startRun([], { cwd: p.dir, dataDir: `${p.dir}/.kron` });
  try {
    const hello = JSON.parse((await rt.waitFor(/^\{.*"message":"hello from chatty.*\}$/m))[0]);
    assertEquals([hello.job, hello.level, typeof hello.runId], ["chatty", "info", "string"]);
    assertStringIncludes(hello.message, "{ n: 1 }");
    const oops = JSON.parse((await rt.waitFor(/^\{.*"message":"oops".*\}$/m))[0]);
    assertEquals([oops.job, oops.level, oops.runId], ["chatty", "error", hello.runId]);
    const loading = JSON.parse((await rt.waitFor(/^\{.*"message":"jobs\.ts: loading".*\}$/m))[0]);
    assertEquals(loading.category, "kron.sandbox");
  } finally {
    assertEquals(await rt.stop("SIGINT"), 0, rt.stderr);
    // Every line kron wrote is one JSON object: nothing the job printed went out raw.
    for (const line of rt.stderr.split("\n").filter((l) => l !== "")) JSON.parse(line);
    await p.cleanup();
  }
});

Deno.test("--sandbox-workers takes a whole number ≥ 1, else one usage line", async () => {
  const p = project();
  p.write("jobs.ts", `export default { a: { every: "1h", run: () => {} } };\n`);
  try {
    for (const bad of ["0", "two", "1.5"]) {
      const r = await kron(["run", "jobs.ts", "--sandbox-workers", bad], {
        cwd: p.dir,
        dataDir: `${p.dir}/.kron`,
      });
      assertEquals(r.code, 2, r.stderr);
      assertEquals(
        r.stderr,
        `error: --sandbox-workers ${JSON.stringify(bad)} must be a whole number ≥ 1\n`,
      );
    }
  } finally {
    await p.cleanup();
  }
});
