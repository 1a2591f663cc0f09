// Regression (torture hostile_input): a job file with a huge string or deeply nested arrays
// overflowed the TOML parser's stack and surfaced as "error: Maximum call stack size exceeded"
// (exit 1) instead of a job file error naming the file (exit 2).
import assert from "node:assert/strict";
import { parseTomlJobFile } from "../../src/jobs/toml_loader.ts";
import { JobFileError } from "../../src/jobs/validate.ts";
import { kron, project } from "../e2e/_cli.ts";

const HUGE = `[[job]]\nname = "${"a".repeat(400_000)}"\nevery = "1h"\ncommand = ["true"]\n`;
const DEEP = `x = ${"[".repeat(50_000)}${"]".repeat(50_000)}\n`;

Deno.test("a huge or deeply nested TOML value is a job file error", () => {
  for (const text of [HUGE, DEEP]) {
    assert.throws(
      () => parseTomlJobFile("jobs.toml", text),
      (e) =>
        e instanceof JobFileError && /^jobs\.toml: invalid TOML: too deeply nested/.test(e.message),
    );
  }
});

Deno.test("kron check on a deeply nested TOML file: one line naming the file, exit 2", async () => {
  const p = project();
  try {
    p.write("jobs.toml", DEEP);
    const r = await kron(["check", "jobs.toml"], { cwd: p.dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr.trim(), /^error: jobs\.toml: invalid TOML: too deeply nested[^\n]*$/);
  } finally {
    await p.cleanup();
  }
});
