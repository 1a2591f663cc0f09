// The scratch image, proven without Docker: a root directory built from the same file list the
// Dockerfile copies (scripts/scratch/files.sh) — the runtime binary (the Deno binary stands in
// for the compiled one, running main.ts with exactly the kron task's flags), its ldd libraries,
// an empty /data — plus what the stand-in needs (the app with node_modules, a DENO_DIR inside
// the root), /dev/null, /proc, and echo for the command job. Then `chroot` into it: a TOML job
// with an argv command and a TS job run, `status` answers, shutdown is clean; time zones work
// with no /usr/share/zoneinfo; a `shell = true` job is refused at load (no /bin/sh). Needs root.
import { assert, assertEquals, assertStringIncludes } from "../e2e/_assert.ts";
import { kronFlags, MAIN, ROOT } from "../e2e/_cli.ts";
import { type KronUnderTest, smoke } from "../compile/_smoke.ts";
import { until } from "../_util/poll.ts";

const dec = new TextDecoder();

/** chroot's path: the chrooted processes get PATH=/bin, which must not hide it. */
const CHROOT = ["/usr/sbin/chroot", "/usr/bin/chroot", "/sbin/chroot"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
}) ?? "chroot";

async function sh(cmd: string, args: string[], env?: Record<string, string>): Promise<string> {
  const o = await new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (o.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${o.code}: ${dec.decode(o.stderr)}`);
  }
  return dec.decode(o.stdout);
}

/** Copies the app the stand-in runtime needs: sources, config, lockfile, node_modules. */
async function copyApp(root: string): Promise<void> {
  await Deno.mkdir(`${root}/app`, { recursive: true });
  const parts = ["main.ts", "mod.ts", "deno.json", "deno.lock", "src", "node_modules"];
  await sh("cp", ["-a", ...parts.map((p) => `${ROOT}${p}`), `${root}/app/`]);
}

Deno.test("scratch root: the binary's file list runs kron in a chroot", async () => {
  if (Deno.uid() !== 0) {
    throw new Error(
      "tests/scratch needs root (chroot, mount -t proc, mknod): run it as root, as CI does",
    );
  }
  const t0 = Date.now();
  const root = await Deno.makeTempDir({ prefix: "kron-scratch-" });
  let mounted = false;
  try {
    // 1. Exactly what the Dockerfile copies, from the same script.
    await sh("sh", [`${ROOT}scripts/scratch/files.sh`, Deno.execPath(), root]);
    // 2. What the stand-in needs and a real container has: the app, /dev/null, /proc, echo.
    await copyApp(root);
    await sh("sh", [`${ROOT}scripts/scratch/files.sh`, "--program", "/bin/echo", root]);
    await Deno.mkdir(`${root}/dev`);
    await sh("mknod", ["-m", "666", `${root}/dev/null`, "c", "1", "3"]);
    await Deno.mkdir(`${root}/proc`);
    await sh("mount", ["-t", "proc", "proc", `${root}/proc`]);
    mounted = true;
    await Deno.mkdir(`${root}/deno-dir`);
    await Deno.mkdir(`${root}/work`);
    for (const p of ["/bin/sh", "/usr/share/zoneinfo", "/etc/localtime", "/usr/bin/ps"]) {
      assert(!(await exists(`${root}${p}`)), `${p} must not be in the root`);
    }

    const env = {
      DENO_DIR: "/deno-dir",
      DENO_NO_UPDATE_CHECK: "1",
      HOME: "/tmp",
      PATH: "/bin",
      NO_COLOR: "1",
    };
    const k: KronUnderTest = {
      name: "chroot",
      command: (args) => ({
        cmd: CHROOT,
        args: [root, "/kron", "run", ...kronFlags(), "/app/main.ts", ...args],
      }),
      inner: (p) => p.startsWith(root) ? p.slice(root.length) : p,
      env,
    };
    // Populate the DENO_DIR (transpiled modules) once, inside the root, before the timed runs.
    await sh(
      CHROOT,
      [root, "/kron", "cache", "/app/main.ts", "/app/src/jobs/_sandbox_worker.ts"],
      env,
    );

    // 3. TOML (argv command) and TS (sibling import) job files; status; trigger; clean stop.
    await smoke(k, `${root}/work`);

    // 4. Time zones from Deno's built-in ICU data: same next runs as on the host.
    await Deno.writeTextFile(
      `${root}/work/tz.toml`,
      `[[job]]\nname = "rome"\ncron = "30 8 * * *"\ntimezone = "Europe/Rome"\ncommand = ["echo", "x"]\n`,
    );
    const { cmd, args } = k.command(["check", "/work/tz.toml", "--json", "--next", "3"]);
    const inside = JSON.parse(await sh(cmd, args, env));
    const outside = JSON.parse(
      await sh(Deno.execPath(), [
        "run",
        ...kronFlags(),
        MAIN,
        "check",
        `${root}/work/tz.toml`,
        "--json",
        "--next",
        "3",
      ]),
    );
    assertEquals(inside.jobs[0].nextRuns, outside.jobs[0].nextRuns);
    for (const iso of inside.jobs[0].nextRuns as string[]) {
      const local = new Intl.DateTimeFormat("en-GB", {
        timeZone: "Europe/Rome",
        hour: "2-digit",
        minute: "2-digit",
      }).format(new Date(iso));
      assertEquals(local, "08:30", iso);
      assert(/T0[67]:30:00\.000Z$/.test(iso), `08:30 in Rome is 07:30Z or 06:30Z: ${iso}`);
    }

    // 5. No /bin/sh: a shell job is refused at load with the reason.
    await Deno.writeTextFile(
      `${root}/work/shell.toml`,
      `[[job]]\nname = "piped"\nevery = "1h"\nshell = true\ncommand = "echo a | wc -c"\n`,
    );
    const shell = k.command(["run", "/work/shell.toml", "--allow-run", "--data-dir", "/work/sh"]);
    const o = await new Deno.Command(shell.cmd, {
      args: shell.args,
      env,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    assertEquals(o.code, 2);
    assertStringIncludes(
      dec.decode(o.stderr),
      "there is no /bin/sh here (a scratch image has none)",
    );

    // 6. README's `docker run` line as written, on an empty volume: the image's user, its data dir,
    // no KRON_TOKEN and a non-loopback --http. The token file is created, its path logged.
    await readmeDockerRun(root, k, env);

    const took = Date.now() - t0;
    console.log(`scratch chroot test took ${(took / 1000).toFixed(1)} s`);
    assert(took < 90_000, `took ${took} ms`);
  } finally {
    if (mounted) await sh("umount", ["-l", `${root}/proc`]).catch(() => {});
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

/** The arguments README's `docker run … kron <args>` line gives the image's ENTRYPOINT. */
function readmeDockerArgs(): string[] {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const start = readme.indexOf("docker run ");
  assert(start !== -1, "README has a docker run line");
  const end = readme.indexOf("\n```", start);
  const words = readme.slice(start, end).replaceAll("\\\n", " ").split(/\s+/).filter(Boolean);
  const image = words.indexOf("kron", 2);
  assert(image > 0, words.join(" "));
  assertEquals(words.filter((w) => w === "-v").length, 2, "a data volume and the job file");
  assert(words.includes("kron-data:/data"), "the volume holds /data");
  assert(words.includes("./jobs.ts:/etc/kron/jobs.ts:ro"), words.join(" "));
  return words.slice(image + 1);
}

/** Runs README's docker line's arguments in the scratch root as the image would. */
async function readmeDockerRun(
  root: string,
  k: KronUnderTest,
  env: Record<string, string>,
): Promise<void> {
  const dockerfile = Deno.readTextFileSync(`${ROOT}Dockerfile`);
  assert(/^ENV KRON_DATA_DIR=\/data$/m.test(dockerfile), "the image's data dir is /data");
  assert(/^USER 65532:65532$/m.test(dockerfile), "the image runs as 65532");
  // The image's empty volume (files.sh made /data; the Dockerfile chowns it), the mounted file.
  assertEquals([...Deno.readDirSync(`${root}/data`)], []);
  await sh("chown", ["65532:65532", `${root}/data`]);
  await Deno.chmod(root, 0o755); // an image's / (the temp dir was 0700)
  await sh("chmod", ["-R", "a+rwX", `${root}/deno-dir`]);
  await Deno.mkdir(`${root}/etc/kron`, { recursive: true });
  await Deno.writeTextFile(
    `${root}/etc/kron/jobs.ts`,
    `export default { wave: { every: "1h", run: () => {} } };\n`,
  );
  await Deno.chmod(`${root}/etc/kron/jobs.ts`, 0o444);
  // Inside a container 8080 is its own; here the host's network is shared: a free port instead.
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (free.addr as Deno.NetAddr).port;
  free.close();
  const args = readmeDockerArgs().map((a) => a.replace(/^0\.0\.0\.0:8080$/, `0.0.0.0:${port}`));
  assert(args.includes(`0.0.0.0:${port}`), args.join(" "));
  const { args: standIn } = k.command(args);
  const start = () =>
    new Deno.Command(CHROOT, {
      args: ["--userspec=65532:65532", ...standIn],
      env: { ...env, KRON_DATA_DIR: "/data" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();

  const first = start();
  const stderr = new Response(first.stderr).text();
  let token = "";
  try {
    const base = `http://127.0.0.1:${port}`;
    await until(async () =>
      (await fetch(`${base}/healthz`).then((r) => r.text()).catch(() => ""))
        .includes("ok"), "the container's /healthz");
    const file = `${root}/data/admin.token`;
    const st = await Deno.stat(file);
    assertEquals(st.mode! & 0o777, 0o600);
    assertEquals(st.uid, 65532);
    token = (await Deno.readTextFile(file)).trim();
    assert(/^[0-9a-f]{64}$/.test(token), token);
    const ok = await fetch(`${base}/v1/jobs`, { headers: { authorization: `Bearer ${token}` } });
    assertEquals(ok.status, 200);
    assertEquals((await ok.json()).jobs.map((j: { name: string }) => j.name), ["wave"]);
    const no = await fetch(`${base}/v1/jobs`);
    assertEquals(no.status, 401);
    await no.body?.cancel();
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${await stopped(first, stderr)}`);
  }
  first.kill("SIGTERM");
  const [{ code }, err] = await Promise.all([first.status, stderr]);
  assertEquals(code, 0, err);
  assertStringIncludes(
    err,
    `admin API on http://0.0.0.0:${port} (bearer token: /data/admin.token, created now (mode 0600))`,
  );
  assert(!err.includes(token), "the token itself is never logged");
}

/** What a child that should have kept running said: its exit and its log. */
async function stopped(child: Deno.ChildProcess, stderr: Promise<string>): Promise<string> {
  try {
    child.kill("SIGKILL");
  } catch {
    // Already gone: that is the story.
  }
  const [{ code }, err] = await Promise.all([child.status, stderr]);
  return `kron exited ${code}: ${err}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
