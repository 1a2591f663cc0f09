// Loading a jobs.ts in the sandbox: the file's top-level code never runs with kron's
// permissions, its definitions come back as data, a sibling module is imported, errors are
// one line; `kron run` refuses a job asking for more than granted, `kron check` warns.
import { loadJobFile } from "../../src/jobs/job_file.ts";
import { emptyPermissions } from "../../src/jobs/runtime.ts";
import { isSandboxStub } from "../../src/jobs/sandbox.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../e2e/_assert.ts";
import { kron, kronFlags, project, ROOT } from "../e2e/_cli.ts";

const GOOD = `${ROOT}tests/jobs/fixtures/good/`;

Deno.test("a jobs.ts's top level cannot read what kron itself can (real kron flags)", async () => {
  const p = project();
  try {
    const jobs = p.write(
      "jobs.ts",
      `const host = await Deno.readTextFile("/etc/hostname");\n` +
        `export default { a: { every: "1m", run: () => host } };\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...kronFlags(), `${ROOT}tests/sandbox/fixtures/load_probe.ts`, jobs],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assertEquals(out.code, 0, dec.decode(out.stderr));
    const r = JSON.parse(dec.decode(out.stdout));
    assertEquals(r.own, true, "kron's own isolate reads /etc/hostname");
    assertMatch(r.error, /jobs\.ts:1:\d+: cannot import: permission denied: read access to /);
    assertStringIncludes(
      r.error,
      `read access to "/etc/hostname" (grant it: kron run --allow-read=/etc/hostname)`,
    );
    // The CLI says the same, exit 2, and starts nothing.
    const run = await kron(["run", "jobs.ts"], { cwd: p.dir, dataDir: p.dataDir });
    assertEquals(run.code, 2);
    assertStringIncludes(run.stderr, 'permission denied: read access to "/etc/hostname"');
    // Granted, it loads.
    const ok = await kron(["check", "jobs.ts", "--allow-read=/etc/hostname"], { cwd: p.dir });
    assertEquals(ok.code, 0, ok.stderr);
    assertMatch(ok.stdout, /^ {2}permissions: read=\/etc\/hostname$/m);
  } finally {
    await p.cleanup();
  }
});

Deno.test("definitions come back as data, the same as an in-process import", async () => {
  const strip = (f: Awaited<ReturnType<typeof loadJobFile>>) =>
    f.jobs.map((j) => ({ ...j, run: j.run === null ? null : "function" }));
  for (const name of ["defined.ts", "plain.ts"]) {
    const here = await loadJobFile(GOOD + name);
    const boxed = await loadJobFile(GOOD + name, { sandbox: emptyPermissions() });
    assertEquals(strip(boxed), strip(here), name);
    assertEquals(boxed.settings, here.settings);
    const digest = boxed.jobs.find((j) => j.run !== null)!;
    assertEquals(isSandboxStub(digest.run), { path: GOOD + name, key: digest.name });
  }
});

Deno.test("a sibling TS module is imported; load errors are one line", async () => {
  const p = project();
  try {
    p.write("lib.ts", `export const every = "5m";\n`);
    p.write(
      "jobs.ts",
      `import { every } from "./lib.ts";\nexport default { a: { every, run: () => {} } };\n`,
    );
    const f = await loadJobFile(`${p.dir}/jobs.ts`, { sandbox: emptyPermissions() });
    assertEquals(f.jobs[0].options, { every: "5m" });

    p.write("bad.ts", `export default {\n  a: { every: "1m" run: 1 },\n};\n`);
    const syntax = await loadJobFile(`${p.dir}/bad.ts`, { sandbox: emptyPermissions() }).catch((
      e,
    ) => e);
    assertMatch(syntax.message, /bad\.ts:2:\d+: cannot import: SyntaxError: /);
    assertEquals(syntax.message.split("\n").length, 1);

    p.write("throws.ts", `export default {};\nthrow new Error("no config");\n`);
    const thrown = await loadJobFile(`${p.dir}/throws.ts`, { sandbox: emptyPermissions() }).catch((
      e,
    ) => e);
    assertEquals(thrown.message, `${p.dir}/throws.ts:2:7: cannot import: Error: no config`);

    p.write("arr.ts", `export default [1];\n`);
    const arr = await loadJobFile(`${p.dir}/arr.ts`, { sandbox: emptyPermissions() }).catch((e) =>
      e
    );
    assertStringIncludes(
      arr.message,
      "must be an object mapping job names to definitions, not an array",
    );
  } finally {
    await p.cleanup();
  }
});

Deno.test("kron run refuses a job asking for more than granted; check only warns", async () => {
  const p = project();
  p.write(
    "jobs.ts",
    `export default {\n  mail: { every: "1h", permissions: { net: ["smtp.example.com"], env: ["SMTP_URL"] },` +
      ` run: () => {} },\n  quiet: { every: "1h", permissions: { net: false }, run: () => {} },\n` +
      `  df: { every: "1h", command: ["df", "-h"] },\n};\n`,
  );
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  try {
    const run = await kron(["run", "jobs.ts", "--allow-run", "--allow-net=api.example.com"], opts);
    assertEquals(run.code, 2);
    assertEquals(
      run.stderr,
      `error: jobs.ts: job "mail": permissions.net asks for "smtp.example.com", but ` +
        `--allow-net=api.example.com does not grant it (grant it: ` +
        `--allow-net=api.example.com,smtp.example.com)\n`,
    );
    const check = await kron(
      ["check", "jobs.ts", "--next", "1", "--allow-net=api.example.com"],
      opts,
    );
    assertEquals(check.code, 0, check.stderr);
    assertStringIncludes(
      check.stdout,
      "warning: command jobs run df, which kron run needs granted",
    );
    assertStringIncludes(
      check.stdout,
      `warning: job "mail": permissions.net asks for "smtp.example.com"`,
    );
    assertMatch(check.stdout, /^quiet .*\n.*\n {2}permissions: none$/m);
    const json = JSON.parse(
      (await kron(
        ["check", "jobs.ts", "--json", "--allow-run", "--allow-net", "--allow-env"],
        opts,
      )).stdout,
    );
    assertEquals(json.warnings, []);
    assertEquals(json.jobs.map((j: { permissions: string }) => j.permissions), [
      // --allow-run reaches function jobs too (Deno.Command in a worker), as Deno grants it.
      "net=smtp.example.com env=SMTP_URL run",
      "env run",
      "runs df (allowed by --allow-run; a command is not sandboxed beyond that)",
    ]);
    assert(!(await Deno.stat(p.dataDir).then(() => true, () => false)), "no data dir");
  } finally {
    await p.cleanup();
  }
});
