// Shared sandbox workers: what a job that forces its worker down does to the runs of other jobs
// on it (cancelled `worker_terminated`, run again once as `recovery`, neither a retry nor a
// failure), that the offender then runs alone, that refusals stay with the run that met them
// when several runs share a worker, and that runs due together travel in one message.
import { assert, assertEquals, assertMatch } from "../e2e/_assert.ts";
import { emptyPermissions, rig, until } from "./_helpers.ts";
import { loadJobFile } from "../../src/jobs/job_file.ts";
import type { RunRecord } from "../../src/engine/types.ts";

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function runsOf(r: Awaited<ReturnType<typeof rig>>, job: string): Promise<RunRecord[]> {
  return (await r.kron.history(job, { limit: 50 })).sort((a, b) => a.id < b.id ? -1 : 1);
}

Deno.test("a job ignoring its abort in a shared worker: co-resident runs cancelled and run again once; the offender then runs alone", async () => {
  const r = await rig(
    {
      "jobs.ts": `export default {
  stuck: { after: "1h", timeout: "200ms", run: () => new Promise(() => {}) },
  slow: { after: "1h", run: () => new Promise((res) => setTimeout(res, 700)) },
};
`,
    },
    {},
    { sandboxGraceMs: 300, sandboxWorkers: 1 },
  );
  try {
    await r.kron.trigger("slow");
    await r.kron.trigger("stuck");
    assertEquals((await r.run("stuck")).outcome, "timed_out");
    const slow = await until(async () => {
      const runs = await runsOf(r, "slow");
      return runs.length === 2 && runs[1].outcome !== null ? runs : null;
    }, "slow's cancelled run and its re-run");
    const [cancelled, rerun] = slow;
    assertEquals(cancelled.outcome, "cancelled");
    assertEquals(
      cancelled.error,
      'its worker was terminated: job "stuck" ignored its abort signal for 300 ms',
    );
    assertEquals(rerun.outcome, "succeeded");
    assertEquals(rerun.trigger, "recovery");
    assertEquals(
      [rerun.scheduledAt.getTime(), rerun.idempotencyKey, rerun.attempt],
      [cancelled.scheduledAt.getTime(), cancelled.idempotencyKey, cancelled.attempt],
    );
    const status = r.kron.status("slow");
    assertEquals([status.consecutiveFailures, status.state], [0, "done"]);
    assert(r.runtime.sandbox!.isIsolated("stuck"), "stuck runs alone from now on");
    assert(!r.runtime.sandbox!.isIsolated("slow"));

    // Alone, stuck's next forced stop touches nobody: slow succeeds on its first try.
    const slowId = await r.kron.trigger("slow");
    const stuckId = await r.kron.trigger("stuck");
    assertEquals((await r.run("stuck", (x) => x.id === stuckId)).outcome, "timed_out");
    const again = await r.run("slow", (x) => x.id === slowId);
    assertEquals([again.outcome, again.trigger], ["succeeded", "manual"]);
    assertEquals((await runsOf(r, "slow")).length, 3, "no other run of slow");
  } finally {
    await r.close();
  }
});

Deno.test("an uncaught error from a job's stray async work: its run fails, co-residents run again, it is isolated", async () => {
  const r = await rig(
    {
      "jobs.ts": `export default {
  crash: { after: "1h", run: () => new Promise((res) => {
    setTimeout(() => { throw new Error("async boom"); }, 50);
    setTimeout(res, 200);
  }) },
  slow: { after: "1h", run: () => new Promise((res) => setTimeout(res, 400)) },
};
`,
    },
    {},
    { sandboxWorkers: 1 },
  );
  try {
    await r.kron.trigger("slow");
    await r.kron.trigger("crash");
    const crash = await r.run("crash");
    assertEquals([crash.outcome, crash.error], ["failed", "async boom"]);
    const [cancelled, rerun] = await until(async () => {
      const runs = await runsOf(r, "slow");
      return runs.length === 2 && runs[1].outcome !== null ? runs : null;
    }, "slow's re-run");
    assertEquals(cancelled.outcome, "cancelled");
    assertMatch(
      cancelled.error ?? "",
      /^its worker was terminated: job "crash" crashed its worker/,
    );
    assertEquals([rerun.outcome, rerun.trigger], ["succeeded", "recovery"]);
    assert(r.runtime.sandbox!.isIsolated("crash"));
  } finally {
    await r.close();
  }
});

Deno.test("an occurrence interrupted twice is not run a third time: the second interruption fails it", async () => {
  const r = await rig(
    {
      "jobs.ts": `export default {
  stuck1: { after: "1h", timeout: "100ms", run: () => new Promise(() => {}) },
  stuck2: { after: "1h", timeout: "100ms", run: () => new Promise(() => {}) },
  slow: { after: "1h", run: () => new Promise((res) => setTimeout(res, 3000)) },
};
`,
    },
    {},
    { sandboxGraceMs: 200, sandboxWorkers: 1 },
  );
  try {
    await r.kron.trigger("slow");
    await r.kron.trigger("stuck1");
    await until(async () => (await runsOf(r, "slow")).length === 2, "slow's re-run");
    await r.kron.trigger("stuck2");
    const runs = await until(async () => {
      const all = await runsOf(r, "slow");
      return all.length === 2 && all[1].outcome !== null ? all : null;
    }, "slow's re-run to end");
    assertEquals(runs.map((x) => x.outcome), ["cancelled", "failed"]);
    assertMatch(runs[1].error ?? "", /job "stuck2" ignored its abort signal/);
    await sleep(300);
    assertEquals((await runsOf(r, "slow")).length, 2, "no third run");
  } finally {
    await r.close();
  }
});

Deno.test("concurrent runs of several jobs in one worker: each refusal stays with its own run", async () => {
  const r = await rig(
    {
      "jobs.ts": `const wait = (ms) => new Promise((res) => setTimeout(res, ms));
export default {
  reader: { after: "1h", run: async () => {
    await wait(40);
    try { Deno.readTextFileSync("/etc/hostname"); } catch { /* swallowed */ }
    await wait(80);
  } },
  quiet: { after: "1h", run: () => wait(200) },
  envy: { after: "1h", run: async () => { await wait(20); return Deno.env.get("HOME"); } },
  netty: { after: "1h", run: async () => { await wait(60); await fetch("http://127.0.0.1:5999/x"); } },
};
`,
    },
    {},
    { sandboxWorkers: 1 },
  );
  try {
    for (let round = 0; round < 2; round++) {
      const ids = new Map<string, string>();
      for (const job of ["quiet", "reader", "envy", "netty"]) {
        ids.set(job, await r.kron.trigger(job));
      }
      const get = (job: string) => r.run(job, (x) => x.id === ids.get(job));
      const quiet = await get("quiet");
      assertEquals([quiet.outcome, quiet.deniedPermissions], ["succeeded", []]);
      const reader = await get("reader");
      assertEquals([reader.outcome, reader.deniedPermissions], ["succeeded", [
        "read:/etc/hostname",
      ]]);
      const envy = await get("envy");
      assertEquals(envy.outcome, "failed");
      assertEquals(
        envy.error,
        'permission denied: env access to "HOME" (grant it: kron run --allow-env=HOME)',
      );
      assertEquals(envy.deniedPermissions, ["env:HOME"]);
      const netty = await get("netty");
      assertEquals(netty.deniedPermissions, ["net:127.0.0.1:5999"]);
    }
    assertEquals(r.runtime.sandbox!.workers, 1, "all of them in one worker");
  } finally {
    await r.close();
  }
});

Deno.test("runs due at one instant travel to a worker in one message", async () => {
  const jobs = Array.from(
    { length: 40 },
    (_, i) => `  j${i}: { cron: "* * * * * *", run: () => {} },`,
  ).join("\n");
  const r = await rig({ "jobs.ts": `export default {\n${jobs}\n};\n` }, {}, {
    sandboxWorkers: 1,
  });
  try {
    const pools = r.runtime.sandbox!;
    await until(
      async () => (await r.kron.history("j39", { limit: 10 })).filter((x) => x.outcome).length >= 3,
      "three seconds of runs",
    );
    let runs = 0;
    for (let i = 0; i < 40; i++) {
      const h = await r.kron.history(`j${i}`, { limit: 50 });
      assert(h.every((x) => x.outcome === "succeeded" || x.outcome === null));
      runs += h.length;
    }
    assert(runs >= 120, `${runs} runs`);
    // One message per instant (a straggler instant may split in two), never one per run.
    assert(pools.batches <= runs / 10, `${pools.batches} messages for ${runs} runs`);
  } finally {
    await r.close();
  }
});

Deno.test("isolate is for TS run jobs: in jobs.toml it is a one-line load error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kron-isolate-" });
  try {
    await Deno.writeTextFile(
      `${dir}/jobs.toml`,
      `[[job]]\nname = "backup"\nevery = "1h"\ncommand = "true"\nisolate = true\n`,
    );
    const e = await loadJobFile(`${dir}/jobs.toml`).then(() => null, (e) => e as Error);
    assert(e !== null, "refused");
    assertMatch(e.message, /jobs\.toml:5: job "backup": isolate is for TS jobs/);
    assert(!e.message.includes("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workers are warm before the first due time; the loading worker is reused, not a second import", async () => {
  const r = await rig(
    {
      "jobs.ts": `// Each evaluation of this file (one per isolate) leaves a mark.
Deno.writeTextFileSync(new URL("./imports.txt", import.meta.url), "x", { append: true });
export default {
  grant: { after: "1h", run: () => {} },
  narrow: { after: "1h", permissions: { env: false }, run: () => {} },
};
`,
    },
    { env: ["HOME"], write: true },
  );
  try {
    // One worker per permission set before any run: the grant's is the one that loaded the file,
    // so the file was evaluated twice (loader + narrow's pool), not three times.
    assertEquals(r.runtime.sandbox!.workers, 2);
    await until(
      () => Deno.readTextFileSync(`${r.dir}/imports.txt`).length === 2,
      "the narrow pool's worker to import the file",
    );
    await r.kron.trigger("grant");
    await r.kron.trigger("narrow");
    assertEquals((await r.run("grant")).outcome, "succeeded");
    assertEquals((await r.run("narrow")).outcome, "succeeded");
    assertEquals(Deno.readTextFileSync(`${r.dir}/imports.txt`), "xx");
  } finally {
    await r.close();
  }
});

Deno.test("reload: runs in flight finish on the old workers; new runs get the new code", async () => {
  const r = await rig({
    "jobs.ts": `export default {
  slow: { after: "1h", run: () => new Promise((res) => setTimeout(res, 600)) },
  v: { after: "1h", run: () => { throw new Error("v1"); } },
};
`,
  });
  try {
    const slowId = await r.kron.trigger("slow");
    await until(() => r.kron.status("slow").running === 1, "slow to start");
    await Deno.writeTextFile(
      `${r.dir}/jobs.ts`,
      `export default {
  slow: { after: "1h", run: () => new Promise((res) => setTimeout(res, 600)) },
  v: { after: "1h", run: () => { throw new Error("v2"); } },
};
`,
    );
    const old = r.runtime.sandbox!;
    r.runtime.apply(
      await loadJobFile(`${r.dir}/jobs.ts`, { sandbox: emptyPermissions(), keepWarm: true }),
    );
    assert(r.runtime.sandbox !== old, "a new generation of workers");
    const vId = await r.kron.trigger("v");
    assertEquals((await r.run("v", (x) => x.id === vId)).error, "v2");
    assertEquals((await r.run("slow", (x) => x.id === slowId)).outcome, "succeeded");
    await until(() => old.workers === 0, "the old workers to go once idle");
  } finally {
    await r.close();
  }
});
