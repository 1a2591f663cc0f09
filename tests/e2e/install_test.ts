// Issue 15, item 4: `deno task install` puts `kron` and `ku` on PATH, each running this checkout's
// main.ts with exactly the flags of deno.json's `kron` task (the binary's), from the caller's
// working directory, without network (`deno install -g`).
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { kronFlags, project, ROOT } from "./_cli.ts";
import { installRoot } from "../../scripts/install.ts";

Deno.test("deno task install: kron and ku on PATH run main.ts with the kron task's flags, here", async () => {
  const root = await Deno.makeTempDir({ prefix: "kron-install-" });
  const p = project();
  try {
    const install = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "install", "--root", root],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
    }).output();
    const said = new TextDecoder().decode(install.stdout);
    assertEquals(install.code, 0, new TextDecoder().decode(install.stderr));
    assertMatch(said, new RegExp(`^installed kron and ku in ${root}/bin \\(kron \\d`));

    for (const name of ["kron", "ku"]) {
      const shim = await Deno.readTextFile(`${root}/bin/${name}`);
      const exec = shim.split("\n").find((l) => l.startsWith("exec "))!;
      const words = exec.split(" ");
      assertEquals(words[1], `'${Deno.execPath()}'`, "the Deno that installed it, not PATH's");
      assertEquals(words[2], "run");
      assertEquals(words.at(-2), `'${new URL("main.ts", `file://${ROOT}`).href}'`);
      const flags = words.slice(3, -2);
      const config = flags.indexOf("--config");
      assert(config !== -1, exec);
      flags.splice(config, 2);
      assertEquals(
        flags.toSorted(),
        kronFlags().toSorted(),
        `${name}: exactly the kron task's flags`,
      );
    }

    // A person elsewhere, with the bin dir on PATH: init writes here, ./jobs.toml is this one.
    const env = { NO_COLOR: "1", PATH: `${root}/bin:${Deno.env.get("PATH")}` };
    const sh = async (script: string) => {
      const out = await new Deno.Command("sh", { args: ["-c", script], cwd: p.dir, env }).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    };
    const init = await sh("kron init && ku check ./jobs.toml --next 1");
    assertEquals(init.code, 0, init.stderr);
    assertMatch(init.stdout, /^wrote jobs\.toml$/m);
    assertMatch(init.stdout, /^\.\/jobs\.toml: 2 jobs, valid$/m);
    assert((await Deno.stat(`${p.dir}/jobs.toml`)).isFile);
    const started = await sh("kron daemon start --allow-run && ku job list && ku -v");
    try {
      assertEquals(started.code, 0, started.stderr);
      assertMatch(started.stdout, new RegExp(`data dir ${p.dir}/\\.kron`));
      assertMatch(started.stdout, /^hello\s+idle\s/m);
      assertMatch(started.stdout, /^kron \d+\.\d+\.\d+$/m);
    } finally {
      const stop = await sh("kron daemon stop");
      assertEquals(stop.code, 0, stop.stderr);
    }
  } finally {
    await p.cleanup();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("installRoot: --root, DENO_INSTALL_ROOT, a bin dir on PATH, else ~/.deno", () => {
  const home = "/home/me";
  assertEquals(installRoot("/opt/k", { HOME: home, PATH: "/usr/bin" }, 1000), {
    root: "/opt/k",
    onPath: false,
  });
  assertEquals(
    installRoot(undefined, { HOME: home, DENO_INSTALL_ROOT: "/d", PATH: "/d/bin" }, 1000),
    {
      root: "/d",
      onPath: true,
    },
  );
  assertEquals(
    installRoot(undefined, { HOME: home, PATH: "/usr/bin:/home/me/.local/bin/" }, 1000),
    {
      root: "/home/me/.local",
      onPath: true,
    },
  );
  assertEquals(installRoot(undefined, { HOME: "/root", PATH: "/usr/local/bin:/usr/bin" }, 0), {
    root: "/usr/local",
    onPath: true,
  });
  assertEquals(installRoot(undefined, { HOME: home, PATH: "/usr/local/bin:/usr/bin" }, 1000), {
    root: "/home/me/.deno",
    onPath: false,
  });
});
