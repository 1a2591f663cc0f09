// Regression (torture hostile_input): a job name with ".." inside ("backup..old") is valid
// (DESIGN §3: [A-Za-z0-9][A-Za-z0-9._-]{0,63}), but the run log path check refused any ".."
// substring, so every run of such a command job failed ("not a safe file name") and `kron logs`
// could not read its output. Only a whole "." or ".." component, a separator or NUL is unsafe.
import assert from "node:assert/strict";
import { assertPathComponent } from "../../src/jobs/run_log.ts";
import { readRunLog } from "../../src/cli/source.ts";
import { kron, project, startRun, until } from "../e2e/_cli.ts";
import { readDataDir } from "../../src/store/mod.ts";

Deno.test("path components: '..' inside a name is safe, a whole '..', separators and NUL are not", () => {
  for (const ok of ["backup..old", "a..", "x.y", "a...b"]) assertPathComponent("job", ok);
  for (const bad of ["", ".", "..", "../x", "a/b", "a\\b", "a\0b"]) {
    assert.throws(() => assertPathComponent("job", bad));
  }
});

Deno.test("a command job named backup..old runs, and its output is readable", async () => {
  const p = project();
  try {
    p.write(
      "jobs.toml",
      `[[job]]\nname = "backup..old"\nafter = "100ms"\ncommand = ["echo", "kept"]\n`,
    );
    const r = await startRun(["jobs.toml", "--allow-run"], { cwd: p.dir, dataDir: p.dataDir });
    const run = await until(async () => {
      const view = await readDataDir(p.dataDir);
      return (await view.history("backup..old", { limit: 1 }))[0]?.outcome ? view : null;
    }, "the run to finish");
    await r.stop();
    const [last] = await run.history("backup..old", { limit: 1 });
    assert.equal(last.outcome, "succeeded", last.error ?? "");
    assert.equal((await readRunLog(p.dataDir, "backup..old", last.id))?.trim(), "kept");
    const logs = await kron(["logs", "backup..old"], { cwd: p.dir, dataDir: p.dataDir });
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /kept/);
  } finally {
    await p.cleanup();
  }
});
