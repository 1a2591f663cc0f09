// `deno task compile` builds dist/kron with exactly the kron task's flags, or fails with one line
// saying why (denort neither downloadable nor in DENORT_BIN). Then the end-to-end smoke runs
// against the compiled binary when one was built, else (reported on the console) under
// `deno run` with exactly the binary's flags. The compiled-only import limits are checked too.
import { compileArgs, INCLUDES } from "../../scripts/compile.ts";
import { taskFlags } from "../../src/cli/self.ts";
import { checkCompiledImports } from "../../src/jobs/compiled.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../e2e/_assert.ts";
import { kronFlags, MAIN, ROOT } from "../e2e/_cli.ts";
import { type KronUnderTest, smoke } from "./_smoke.ts";

const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));

/** The binary built by the compile test, when compiling was possible here. */
let binary: string | null = null;
let skipped = "";

Deno.test("the permission flags live in deno.json's kron task; compile uses exactly them", () => {
  const flags = taskFlags(config.tasks.kron);
  assert(!flags.some((f) => f === "-A" || f === "--allow-all"), "no -A in the kron task");
  assert(!/(^|\s)(-A|--allow-all)(\s|$)/.test(config.tasks.compile), "no -A in the compile task");
  assertEquals(kronFlags(), flags, "the e2e tests start the CLI with them");
  const args = compileArgs(config.tasks.kron, { output: "/tmp/k" });
  assertEquals(args.slice(1, 1 + flags.length), flags);
  for (const f of INCLUDES) assert(args.includes(`${ROOT}${f}`), `--include ${f}`);
  assertEquals(args.at(-1), MAIN);
  assertEquals(
    compileArgs(config.tasks.kron, { target: "aarch64-unknown-linux-gnu" }).slice(-4),
    ["aarch64-unknown-linux-gnu", "--output", `${ROOT}dist/kron-aarch64-unknown-linux-gnu`, MAIN],
  );
});

Deno.test("deno task compile: builds the binary, or explains in one line why it cannot", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kron-compile-" });
  const output = `${dir}/kron`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "compile", "--output", output],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  // `deno task` itself prints "Task compile …" first.
  const lines = stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("Task "));
  if (out.code === 0) {
    binary = output;
    assert((await Deno.stat(output)).isFile);
    return;
  }
  await Deno.remove(dir, { recursive: true });
  assertEquals(lines.length, 1, `one line:\n${stderr}`);
  assertMatch(lines[0], /^compile: /);
  assertStringIncludes(lines[0], "DENORT_BIN");
  if (!Deno.env.get("DENORT_BIN")) {
    assertMatch(lines[0], /download failed .* and DENORT_BIN is not set/);
  }
  skipped = lines[0];
  // A DENORT_BIN that does not exist is refused at once, in one line too.
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["task", "compile", "--output", output],
    cwd: ROOT,
    env: { NO_COLOR: "1", DENORT_BIN: `${dir}/no-such-denort` },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(bad.code, 1);
  assertMatch(
    new TextDecoder().decode(bad.stderr),
    /compile: DENORT_BIN=\S+no-such-denort cannot be used \(no such file\)/,
  );
});

Deno.test("end-to-end smoke: the compiled binary, else deno run with the binary's flags", async () => {
  const k: KronUnderTest = binary
    ? { name: "dist/kron", command: (args) => ({ cmd: binary!, args }), inner: (p) => p }
    : {
      name: "deno run <kron task flags> main.ts",
      command: (args) => ({ cmd: Deno.execPath(), args: ["run", ...kronFlags(), MAIN, ...args] }),
      inner: (p) => p,
    };
  if (!binary) {
    console.log(
      `compile smoke: SKIPPED the compiled binary (compiling is not possible here: ${skipped}); ` +
        `running the smoke under deno run with exactly the binary's flags instead`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "kron-smoke-" });
  try {
    await smoke(k, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
    if (binary) await Deno.remove(binary.slice(0, binary.lastIndexOf("/")), { recursive: true });
  }
});

Deno.test("compiled kron: npm:, jsr: and https: imports in job files fail at load, saying why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kron-compiled-" });
  try {
    await Deno.writeTextFile(
      `${dir}/jobs.ts`,
      `import { Cron } from "npm:croner@9";\nexport default {};\n`,
    );
    const e = await checkCompiledImports(`${dir}/jobs.ts`, { force: true }).catch((e) => e);
    assertEquals(
      e.message,
      `${dir}/jobs.ts: imports "npm:croner@9", which the compiled kron binary cannot load ` +
        `(npm:, jsr: and https: imports only resolve when they were embedded at compile time): ` +
        `vendor it into a local file, or run kron with "deno task kron" / "deno run <the kron ` +
        `task's flags> main.ts"`,
    );
    await Deno.writeTextFile(`${dir}/lib.ts`, `export * from "jsr:@std/path";\n`);
    await Deno.writeTextFile(`${dir}/jobs.ts`, `import "./lib.ts";\nexport default {};\n`);
    const nested = await checkCompiledImports(`${dir}/jobs.ts`, { force: true }).catch((e) => e);
    assertStringIncludes(nested.message, `${dir}/./lib.ts imports "jsr:@std/path"`);
    await Deno.writeTextFile(
      `${dir}/jobs.ts`,
      `import { x } from "./local.ts";\nexport default {};\n`,
    );
    await checkCompiledImports(`${dir}/jobs.ts`, { force: true }); // local imports are fine
    // Under deno run nothing is refused.
    await Deno.writeTextFile(`${dir}/jobs.ts`, `import "npm:croner@9";\nexport default {};\n`);
    await checkCompiledImports(`${dir}/jobs.ts`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
