// src/jobs/runtime.ts: the permission check, applying a file as a diff, on_failure URL hooks.
import assert from "node:assert/strict";
import { Kron } from "../../src/kron/mod.ts";
import type { JobDefinition, JobFile } from "../../src/jobs/job_file.ts";
import {
  checkRunPermission,
  emptyPermissions,
  JobRuntime,
  runAllowed,
} from "../../src/jobs/runtime.ts";

function commandJob(
  name: string,
  command: string,
  extra: Partial<JobDefinition> = {},
): JobDefinition {
  return {
    name,
    options: { every: "1h" },
    command: { argv: null, text: command, shell: false, dir: null, env: {} },
    run: null,
    permissions: null,
    onFailure: null,
    source: { file: "jobs.toml", line: 3 },
    ...extra,
  };
}

function file(jobs: JobDefinition[]): JobFile {
  return {
    path: "jobs.toml",
    kind: "toml",
    settings: {
      dataDir: null,
      timezone: null,
      http: null,
      logFormat: null,
      durability: null,
      shutdownTimeout: null,
      sandboxWorkers: null,
    },
    jobs,
  };
}

Deno.test("runAllowed follows Deno's --allow-run matching", () => {
  assert.equal(runAllowed(true, "anything"), true);
  assert.equal(runAllowed(false, "ls"), false);
  assert.equal(runAllowed(["rsync"], "rsync"), true);
  assert.equal(runAllowed(["rsync"], "/usr/bin/rsync"), true);
  assert.equal(runAllowed(["/usr/bin/rsync"], "rsync"), true);
  assert.equal(runAllowed(["/usr/bin/rsync"], "/opt/rsync"), false);
  assert.equal(runAllowed(["sh"], "/bin/sh"), true);
  assert.equal(runAllowed(["rsync"], "curl"), false);
});

Deno.test("checkRunPermission names file, line, job, program and the flag", () => {
  const f = file([
    commandJob("ok", "echo hi"),
    commandJob("hooked", "echo hi", { onFailure: { command: ["logger", "x"] } }),
  ]);
  assert.throws(
    () => checkRunPermission(f, emptyPermissions()),
    {
      message: 'jobs.toml:3: job "ok": command runs "echo" but command jobs need --allow-run ' +
        "(all programs) or --allow-run=echo",
    },
  );
  assert.throws(
    () => checkRunPermission(f, { ...emptyPermissions(), run: ["echo"] }),
    /job "hooked": on_failure runs "logger", which --allow-run=echo does not include \(add it: --allow-run=echo,logger\)/,
  );
  checkRunPermission(f, { ...emptyPermissions(), run: ["echo", "logger"] });
  const shell = file([
    commandJob("s", "a | b", {
      command: { argv: null, text: "a | b", shell: true, dir: null, env: {} },
    }),
  ]);
  assert.throws(
    () => checkRunPermission(shell, { ...emptyPermissions(), run: ["a", "b"] }),
    /"\/bin\/sh"/,
  );
  checkRunPermission(shell, { ...emptyPermissions(), run: ["sh"] });
});

Deno.test("apply: added, changed, removed, unchanged; an invalid file changes nothing", async () => {
  const dataDir = Deno.makeTempDirSync();
  const kron = new Kron({ store: "memory" });
  const runtime = new JobRuntime(kron, {
    dataDir,
    permissions: { ...emptyPermissions(), run: true },
  });
  try {
    assert.deepEqual(runtime.apply(file([commandJob("a", "echo a"), commandJob("b", "echo b")])), {
      added: ["a", "b"],
      changed: [],
      removed: [],
      unchanged: [],
    });
    await kron.start();
    const next = file([
      commandJob("a", "echo a"),
      commandJob("c", "echo c"),
      { ...commandJob("b", "echo b"), options: { every: "2h" } },
    ]);
    assert.deepEqual(runtime.apply(next), {
      added: ["c"],
      changed: ["b"],
      removed: [],
      unchanged: ["a"],
    });
    assert.deepEqual(runtime.apply(file([commandJob("c", "echo c")])).removed, ["a", "b"]);
    // A bad definition anywhere: throws before anything is applied.
    const bad = file([commandJob("d", "echo d"), {
      ...commandJob("e", "echo e"),
      options: { every: "5x" },
    }]);
    assert.throws(() => runtime.apply(bad), /jobs\.toml:3: job "e"/);
    const dup = file([commandJob("d", "echo d"), commandJob("d", "echo d")]);
    assert.throws(() => runtime.apply(dup), /job "d": defined twice/);
    const quote = file([commandJob("q", "echo 'unterminated")]);
    assert.throws(() => runtime.apply(quote), /job "q": .*quote/);
    // Removed jobs stay, orphaned (as after a restart), until forgotten.
    assert.deepEqual(kron.list().map((j) => [j.name, j.state]), [
      ["c", "idle"],
      ["a", "orphaned"],
      ["b", "orphaned"],
    ]);
  } finally {
    await kron.shutdown({ timeout: "1s" });
    await runtime.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});

Deno.test("on_failure URL: a JSON POST once the last attempt failed", async () => {
  const bodies: Record<string, unknown>[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    bodies.push(await req.json());
    return new Response("ok");
  });
  const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/hook`;
  const kron = new Kron({ store: "memory" });
  const runtime = new JobRuntime(kron, {
    dataDir: "/nonexistent",
    permissions: emptyPermissions(),
  });
  try {
    runtime.apply(file([{
      name: "boom",
      options: { every: "1h", retries: 1, retryDelay: "10ms" },
      command: null,
      run: () => {
        throw new Error("kaboom");
      },
      permissions: null,
      onFailure: { url },
      source: { file: "jobs.ts", line: null },
    }]));
    await kron.start();
    await kron.trigger("boom");
    const deadline = Date.now() + 5000;
    while (bodies.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(bodies.length, 1, "once per occurrence, after the retry");
    const b = bodies[0];
    assert.equal(b.job, "boom");
    assert.equal(b.attempt, 2);
    assert.equal(b.outcome, "failed");
    assert.equal(b.error, "kaboom");
    assert.match(String(b.idempotencyKey), /^boom:manual:/);
  } finally {
    await kron.shutdown({ timeout: "1s" });
    await runtime.close();
    await server.shutdown();
  }
});
