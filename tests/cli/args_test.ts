import assert from "node:assert/strict";
import { closest, expectPositionals, intFlag, parseFlags } from "../../src/cli/args.ts";
import { CliError } from "../../src/cli/errors.ts";
import { extractPermissions, permissionFlags } from "../../src/cli/permissions.ts";
import { taskFlags } from "../../src/cli/self.ts";

function usageError(fn: () => unknown, re: RegExp) {
  assert.throws(fn, (e) => e instanceof CliError && e.exitCode === 2 && re.test(e.message));
}

Deno.test("parseFlags: long, short, inline values, booleans, --", () => {
  const spec = {
    limit: { type: "string" as const, short: "n" },
    follow: { type: "boolean" as const, short: "f" },
  };
  assert.deepEqual(parseFlags(["a", "--limit", "5", "-f", "b"], spec, "x"), {
    flags: { limit: "5", follow: true },
    positionals: ["a", "b"],
  });
  assert.deepEqual(parseFlags(["--limit=7", "-n3"], spec, "x").flags, { limit: "3" });
  assert.deepEqual(parseFlags(["--data-dir", "/d", "--", "-f"], spec, "x"), {
    flags: { "data-dir": "/d" },
    positionals: ["-f"],
  });
  assert.equal(parseFlags(["-h"], spec, "x").flags.help, true);
});

Deno.test("parseFlags: mistakes are usage errors with a hint", () => {
  const spec = { json: { type: "boolean" as const } };
  usageError(
    () => parseFlags(["--jsn"], spec, "status"),
    /unknown flag --jsn \(did you mean --json\?\)/,
  );
  usageError(() => parseFlags(["--json=yes"], spec, "status"), /takes no value/);
  usageError(() => parseFlags(["--data-dir"], spec, "status"), /needs a value/);
  usageError(() => parseFlags(["-z"], spec, "status"), /unknown flag -z/);
});

Deno.test("intFlag and expectPositionals", () => {
  assert.equal(intFlag({ limit: "12" }, "limit", 20, "h"), 12);
  assert.equal(intFlag({}, "limit", 20, "h"), 20);
  usageError(() => intFlag({ limit: "0" }, "limit", 20, "h"), /whole number/);
  usageError(() => intFlag({ limit: "ten" }, "limit", 20, "h"), /whole number/);
  usageError(() => expectPositionals([], 1, 1, "history", "<job>"), /missing argument <job>/);
  usageError(
    () => expectPositionals(["a", "b"], 1, 1, "history", "<job>"),
    /unexpected argument "b"/,
  );
  assert.equal(closest("stauts", ["status", "trigger"]), "status");
  assert.equal(closest("zzzzzz", ["status"]), null);
});

Deno.test("extractPermissions: bare flags before another flag, lists, merging", () => {
  const { permissions, rest } = extractPermissions([
    "--allow-run",
    "--data-dir",
    "/d",
    "--allow-net=a.com,b.com",
    "jobs.toml",
    "--allow-net=c.com",
    "--allow-sys",
  ]);
  assert.equal(permissions.run, true);
  assert.deepEqual(permissions.net, ["a.com", "b.com", "c.com"]);
  assert.equal(permissions.sys, true);
  assert.equal(permissions.read, false);
  assert.deepEqual(rest, ["--data-dir", "/d", "jobs.toml"]);
  // All wins over a list.
  assert.equal(extractPermissions(["--allow-run=a", "--allow-run"]).permissions.run, true);
  assert.equal(extractPermissions(["--allow-run", "--allow-run=a"]).permissions.run, true);
  // After `--` nothing is a flag.
  assert.deepEqual(extractPermissions(["--", "--allow-run"]).rest, ["--", "--allow-run"]);
  usageError(() => extractPermissions(["--allow-run="]), /needs a value/);
  usageError(() => extractPermissions(["-A"]), /not accepted/);
  usageError(() => extractPermissions(["--allow-all"]), /not accepted/);
  assert.deepEqual(
    permissionFlags(extractPermissions(["--allow-run=x,y", "--allow-env"]).permissions),
    ["--allow-env", "--allow-run=x,y"],
  );
});

Deno.test("taskFlags reads the flags of the kron task", () => {
  assert.deepEqual(taskFlags("deno run --allow-read --unstable-worker-options main.ts"), [
    "--allow-read",
    "--unstable-worker-options",
  ]);
  assert.throws(() => taskFlags("node main.ts"));
  const config = JSON.parse(Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)));
  const flags = taskFlags(config.tasks.kron);
  for (const f of ["--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-run"]) {
    assert.ok(flags.includes(f), f);
  }
  assert.ok(flags.some((f) => f.startsWith("--allow-sys")));
  assert.ok(flags.includes("--unstable-worker-options"));
  assert.ok(!flags.includes("-A") && !flags.includes("--allow-all"), "never all permissions");
});
