// The end-to-end smoke shared by the compile and scratch tests: a TOML job file with an argv
// command and a TS job file importing a sibling TS module, each run by `kron run`, checked with
// `status`, `trigger`, `history`, and stopped with SIGTERM. The kron under test is any command
// line (the compiled binary, `deno run <flags> main.ts`, or either inside a chroot), so paths
// are given as the kron process sees them (`inner`).
import { until as poll } from "../_util/poll.ts";
import { assert, assertEquals, assertStringIncludes } from "../e2e/_assert.ts";

/** How to start the kron under test. */
export interface KronUnderTest {
  /** What it is, for messages. */
  name: string;
  /** The command line of `kron <args>`. */
  command(args: string[]): { cmd: string; args: string[] };
  /** A host path as the kron process sees it (identity unless chrooted). */
  inner(path: string): string;
  env?: Record<string, string>;
}

const dec = new TextDecoder();

async function cli(
  k: KronUnderTest,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const { cmd, args: argv } = k.command(args);
  const o = await new Deno.Command(cmd, {
    args: argv,
    env: { NO_COLOR: "1", ...k.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

function until<T>(fn: () => Promise<T>, what: string, ms = 20_000): Promise<NonNullable<T>> {
  return poll(fn, what, ms, 100);
}

/** Runs `kron run <file>` until told to stop; collects stderr. */
async function runFile(k: KronUnderTest, file: string, dataDir: string, flags: string[]) {
  const { cmd, args } = k.command(["run", k.inner(file), "--data-dir", k.inner(dataDir), ...flags]);
  const child = new Deno.Command(cmd, {
    args,
    env: { NO_COLOR: "1", ...k.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const pump = (async () => {
    for await (const c of child.stderr) log += dec.decode(c, { stream: true });
  })();
  const drain = child.stdout.cancel();
  const done = child.status;
  await until(async () => {
    if (/ running \d+ jobs from /.test(log)) return true;
    const exited = await Promise.race([
      done.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 50)),
    ]);
    if (exited) throw new Error(`${k.name}: kron run exited:\n${log}`);
    return false;
  }, `${k.name} to start`);
  return {
    get log() {
      return log;
    },
    async stop(): Promise<number> {
      child.kill("SIGTERM");
      const s = await done;
      await pump;
      await drain;
      return s.code;
    },
  };
}

/** The smoke itself, in a fresh directory `dir` (a host path). */
export async function smoke(k: KronUnderTest, dir: string): Promise<void> {
  const dataDir = `${dir}/data`;
  const d = ["--data-dir", k.inner(dataDir)];
  await Deno.writeTextFile(
    `${dir}/jobs.toml`,
    `[[job]]\nname = "hello"\nevery = "1h"\ncommand = ["echo", "hello from toml"]\n`,
  );
  await Deno.writeTextFile(
    `${dir}/greet.ts`,
    `export const greet = (who: string) => "hi " + who;\n`,
  );
  await Deno.writeTextFile(
    `${dir}/jobs.ts`,
    `import { greet } from "./greet.ts";\n` +
      `export default { wave: { every: "1h", run: (ctx: { log: { info(m: string): void } }) => ctx.log.info(greet("ts")) } };\n`,
  );

  const toml = await runFile(k, `${dir}/jobs.toml`, dataDir, ["--allow-run=echo"]);
  try {
    const status = await cli(k, ["status", ...d]);
    assertEquals(status.code, 0, status.err);
    assertStringIncludes(status.out, "hello");
    const trig = await cli(k, ["trigger", "hello", ...d]);
    assertEquals(trig.code, 0, trig.err);
    await until(async () => {
      const h = JSON.parse((await cli(k, ["history", "hello", "--json", ...d])).out);
      return h[0]?.outcome === "succeeded";
    }, `${k.name}: hello to succeed`);
    const logs = await cli(k, ["logs", "hello", ...d]);
    assertStringIncludes(logs.out, "hello from toml");
  } finally {
    assertEquals(await toml.stop(), 0, toml.log);
  }

  const ts = await runFile(k, `${dir}/jobs.ts`, dataDir, []);
  try {
    const trig = await cli(k, ["trigger", "wave", ...d]);
    assertEquals(trig.code, 0, trig.err);
    await until(async () => {
      const h = JSON.parse((await cli(k, ["history", "wave", "--json", ...d])).out);
      return h[0]?.outcome === "succeeded";
    }, `${k.name}: wave to succeed`);
    await until(
      () => Promise.resolve(ts.log.includes("hi ts")),
      `${k.name}: the TS job's log line`,
    );
    const status = await cli(k, ["status", "--json", ...d]);
    const names = JSON.parse(status.out).map((j: { name: string }) => j.name).sort();
    // hello was removed from the file but stays in the log as an orphan.
    assert(names.includes("wave") && names.includes("hello"), status.out);
  } finally {
    assertEquals(await ts.stop(), 0, ts.log);
  }
}
