// Running sandboxed TS jobs: one persistent worker per job, only the granted permissions (each
// refusal recorded in the run and named with its flag), a job that ignores its abort signal is
// stopped by terminating its worker (then replaced), and neither a crash nor `while (true) {}`
// in one job stalls the scheduler or another job.
import { assert, assertEquals, assertMatch } from "../e2e/_assert.ts";
import { rig, until } from "./_helpers.ts";

Deno.test("granted, narrowed and swallowed refusals: errors name the flag, runs record them", async () => {
  const r = await rig({
    "jobs.ts": `export default {
  home: { after: "1h", run: (ctx) => ctx.log.info("home", { home: Deno.env.get("HOME") }) },
  narrowed: { after: "1h", permissions: { env: false }, run: () => Deno.env.get("HOME") },
  swallow: { after: "1h", run: () => { try { Deno.readTextFileSync("/etc/hostname"); } catch { /* fine */ } } },
  fetcher: { after: "1h", run: async () => { await fetch("http://127.0.0.1:5999/x"); } },
};
`,
  }, { env: ["HOME"] });
  try {
    for (const job of ["home", "narrowed", "swallow", "fetcher"]) await r.kron.trigger(job);
    const home = await r.run("home");
    assertEquals([home.outcome, home.deniedPermissions], ["succeeded", []]);
    const narrowed = await r.run("narrowed");
    assertEquals(narrowed.outcome, "failed");
    assertEquals(
      narrowed.error,
      'permission denied: env access to "HOME" (kron run grants it, but the job\'s ' +
        "permissions.env leaves it out)",
    );
    assertEquals(narrowed.deniedPermissions, ["env:HOME"]);
    const swallow = await r.run("swallow");
    assertEquals(swallow.outcome, "succeeded");
    assertEquals(swallow.deniedPermissions, ["read:/etc/hostname"]);
    const fetcher = await r.run("fetcher");
    assertEquals(
      fetcher.error,
      'permission denied: net access to "127.0.0.1:5999" (grant it: kron run --allow-net=127.0.0.1)',
    );
    assertEquals(fetcher.deniedPermissions, ["net:127.0.0.1:5999"]);
  } finally {
    await r.close();
  }
});

Deno.test("jobs of one permission set share a worker and its module; isolate and narrowed jobs do not", async () => {
  const r = await rig(
    {
      "jobs.ts": `let n = 0;
export default {
  a: { after: "1h", run: () => { n++; if (n > 1) throw new Error("n=" + n); } },
  b: { after: "1h", run: () => { if (n === 0) throw new Error("not shared"); } },
  alone: { after: "1h", isolate: true, run: () => { if (n !== 0) throw new Error("shared"); } },
  narrow: { after: "1h", permissions: { env: false }, run: () => { if (n !== 0) throw new Error("shared"); } },
};
`,
    },
    { env: ["HOME"] },
    { sandboxWorkers: 1 },
  );
  try {
    const outcomes: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await r.kron.trigger("a");
      outcomes.push((await r.run("a", (x) => x.id === id)).error);
    }
    // One worker for all three runs: its module-level counter went 1, 2, 3.
    assertEquals(outcomes, [null, "n=2", "n=3"]);
    await r.kron.trigger("b");
    assertEquals((await r.run("b")).outcome, "succeeded", "b shares a's worker and module");
    for (const job of ["alone", "narrow"]) {
      await r.kron.trigger(job);
      assertEquals((await r.run(job)).outcome, "succeeded", `${job} has a module of its own`);
    }
    assert(r.runtime.sandbox!.isIsolated("alone"));
    // The grant's pool (a, b), the narrowed set's pool, and alone's own worker.
    assertEquals(r.runtime.sandbox!.workers, 3);
  } finally {
    await r.close();
  }
});

Deno.test("a job ignoring its abort past the timeout: worker terminated, replaced; others go on", async () => {
  const r = await rig(
    {
      "jobs.ts": `export default {
  stuck: { after: "1h", timeout: "200ms", run: () => new Promise(() => {}) },
  tick: { every: "100ms", run: () => {} },
};
`,
    },
    {},
    { sandboxGraceMs: 300 },
  );
  try {
    const t0 = Date.now();
    const id = await r.kron.trigger("stuck");
    const timedOut = await r.run("stuck", (x) => x.id === id);
    assertEquals(timedOut.outcome, "timed_out");
    // The run ends on time (engine timeout); the worker goes after the grace; the next run
    // gets a fresh one and also times out, proving the replacement works.
    const id2 = await r.kron.trigger("stuck").catch(async () => {
      await until(() => r.kron.status("stuck").running === 0, "stuck's slot");
      return await r.kron.trigger("stuck");
    });
    assertEquals((await r.run("stuck", (x) => x.id === id2)).outcome, "timed_out");
    assert(Date.now() - t0 < 5000);
    const ticks = (await r.kron.history("tick", { limit: 50 })).filter((x) =>
      x.outcome === "succeeded"
    );
    assert(ticks.length >= 3, `tick kept running (${ticks.length})`);
  } finally {
    await r.close();
  }
});

Deno.test("while (true) {} never stalls the scheduler or another job; the timeout ends it", async () => {
  const r = await rig(
    {
      "jobs.ts": `export default {
  spin: { after: "1h", timeout: "1s", run: () => { while (true) { /* forever */ } } },
  tick: { every: "100ms", run: () => {} },
};
`,
    },
    {},
    { sandboxGraceMs: 200 },
  );
  try {
    const id = await r.kron.trigger("spin");
    await until(() => r.kron.status("spin").running === 1, "spin to start");
    const before = (await r.kron.history("tick", { limit: 100 })).length;
    await new Promise((res) => setTimeout(res, 600));
    const during = (await r.kron.history("tick", { limit: 100 })).length;
    assert(during - before >= 3, `tick ran ${during - before} times while spin spun`);
    const spin = await r.run("spin", (x) => x.id === id);
    assertEquals(spin.outcome, "timed_out");
  } finally {
    await r.close();
  }
});

Deno.test("a crash (uncaught error, Deno.exit) fails that run only; the next run has a fresh worker", async () => {
  const r = await rig({
    "jobs.ts": `let runs = 0;
export default {
  crash: { after: "1h", run: () => new Promise((resolve) => {
    runs++;
    if (runs === 1) setTimeout(() => { throw new Error("async boom"); }, 10);
    else resolve(undefined);
  }) },
  exits: { after: "1h", run: () => Deno.exit(3) },
  closes: { after: "1h", run: () => new Promise(() => close()) },
  tick: { every: "100ms", run: () => {} },
};
`,
  });
  try {
    const first = await r.kron.trigger("crash");
    const crashed = await r.run("crash", (x) => x.id === first);
    assertEquals([crashed.outcome, crashed.error], ["failed", "async boom"]);
    const second = await r.kron.trigger("crash");
    // The crashed worker was replaced: the new one evaluated the module afresh (runs = 0), so
    // this run is its first and crashes the same way. A reused worker would have succeeded.
    const again = await r.run("crash", (x) => x.id === second);
    assertEquals(again.outcome, "failed", "a fresh worker reran the module from scratch");
    await r.kron.trigger("exits");
    const exits = await r.run("exits");
    assertMatch(exits.error ?? "", /jobs cannot end kron|ended its worker/);
    await r.kron.trigger("closes");
    assertMatch((await r.run("closes")).error ?? "", /ended its worker/);
    // The scheduler and the other jobs went on: ticks keep succeeding after the crashes (waited
    // for, not assumed: the tick's own worker may still be starting on a fast machine).
    const crashesDone = Date.now();
    await until(
      async () =>
        (await r.kron.history("tick", { limit: 50 })).filter((x) =>
          x.outcome === "succeeded" && x.startedAt!.getTime() >= crashesDone
        ).length >= 2,
      "two ticks after the crashed runs",
    );
  } finally {
    await r.close();
  }
});

Deno.test("reload: a changed job gets a new worker running the new code", async () => {
  const r = await rig({
    "jobs.ts": `export default { v: { after: "1h", run: () => { throw new Error("v1"); } } };\n`,
  });
  try {
    await r.kron.trigger("v");
    assertEquals((await r.run("v")).error, "v1");
    await Deno.writeTextFile(
      `${r.dir}/jobs.ts`,
      `export default { v: { after: "2h", run: () => { throw new Error("v2"); } } };\n`,
    );
    const { loadJobFile } = await import("../../src/jobs/job_file.ts");
    const { emptyPermissions } = await import("../../src/jobs/runtime.ts");
    const result = r.runtime.apply(
      await loadJobFile(`${r.dir}/jobs.ts`, { sandbox: emptyPermissions() }),
    );
    assertEquals(result.changed, ["v"]);
    const id = await r.kron.trigger("v");
    assertEquals((await r.run("v", (x) => x.id === id)).error, "v2");
  } finally {
    await r.close();
  }
});

Deno.test("a job whose narrowed permissions break the file's top level fails its runs, saying why", async () => {
  const r = await rig({
    "jobs.ts": `const home = Deno.env.get("HOME");
export default {
  ok: { after: "1h", run: () => home },
  narrow: { after: "1h", permissions: { env: false }, run: () => home },
};
`,
  }, { env: ["HOME"] });
  try {
    await r.kron.trigger("ok");
    assertEquals((await r.run("ok")).outcome, "succeeded");
    await r.kron.trigger("narrow");
    const run = await r.run("narrow");
    assertEquals(
      run.error,
      `the sandbox of job "narrow" did not start: permission denied: env access to "HOME" ` +
        `(kron run grants it, but the job's permissions.env leaves it out)`,
    );
    assertEquals(run.deniedPermissions, ["env:HOME"]);
  } finally {
    await r.close();
  }
});
