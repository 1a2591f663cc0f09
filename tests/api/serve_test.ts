// Serving on the Unix socket: file modes, stale and live sockets, path limit, no permission.
import { assert, assertEquals, assertMatch, assertRejects } from "./_assert.ts";
import { startRig, tempDir } from "./_helpers.ts";
import { Kron } from "../../src/kron/mod.ts";
import { AdminClient, serveAdmin, socketPathFor } from "../../src/api/mod.ts";
import { KronError } from "../../src/errors.ts";

const deno = Deno.execPath();

Deno.test("socket is 0600 in a 0700 data dir, answers, and is removed on close", async () => {
  const parent = tempDir();
  const dataDir = `${parent}/data`; // does not exist yet: serveAdmin creates it 0700
  const kron = new Kron({ store: "memory" });
  kron.schedule("a", { every: "1h" }, () => {});
  await kron.start();
  const admin = await serveAdmin(kron, { dataDir });
  try {
    assertEquals(admin.socketPath, `${dataDir}/kron.sock`);
    assertEquals(admin.http, null);
    const info = Deno.lstatSync(admin.socketPath!);
    assert(info.isSocket);
    assertEquals(info.mode! & 0o777, 0o600);
    assertEquals(Deno.statSync(dataDir).mode! & 0o777, 0o700);
    const client = (await AdminClient.connect(dataDir))!;
    assertEquals((await client.jobs()).jobs.map((j) => j.name), ["a"]);
    client.close();
  } finally {
    await admin.close();
    await kron.shutdown();
  }
  await assertRejects(() => Deno.lstat(`${dataDir}/kron.sock`));
  assertEquals(await AdminClient.connect(dataDir), null);
  Deno.removeSync(parent, { recursive: true });
});

Deno.test("a stale socket from a crashed runtime is replaced", async () => {
  const dataDir = tempDir();
  const path = `${dataDir}/kron.sock`;
  // A process that listens on the socket and is then killed -9 leaves the file behind.
  const child = new Deno.Command(deno, {
    args: [
      "eval",
      `Deno.listen({ transport: "unix", path: ${
        JSON.stringify(path)
      } }); console.log("ready"); setInterval(() => {}, 1000);`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assertEquals((await reader.read()).value?.trim(), "ready");
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  assert(Deno.lstatSync(path).isSocket, "the stale socket file is there");
  assertEquals(
    await AdminClient.connect(dataDir),
    null,
    "connect() says no runtime for a stale socket",
  );

  await using rig = await startRig({ a: { options: { every: "1h" } } }, { dataDir });
  const res = await rig.sock("/v1/jobs");
  assertEquals(res.status, 200);
  await res.body?.cancel();
  assertEquals(Deno.lstatSync(path).mode! & 0o777, 0o600);
});

Deno.test("a live socket is not replaced: clear error naming it", async () => {
  await using rig = await startRig({ a: { options: { every: "1h" } } });
  const other = new Kron({ store: "memory" });
  await assertRejects(() => serveAdmin(other, { dataDir: rig.dataDir }), (e) => {
    assert(e instanceof KronError);
    assertEquals(e.message, `another kron runtime is serving ${rig.dataDir}/kron.sock`);
  });
  // The first runtime is unharmed.
  const res = await rig.sock("/healthz");
  assertEquals(res.status, 200);
  await res.body?.cancel();
});

Deno.test("something else at the socket path is left alone", async () => {
  const dataDir = tempDir();
  Deno.writeTextFileSync(`${dataDir}/kron.sock`, "not a socket");
  await assertRejects(() => serveAdmin(new Kron({ store: "memory" }), { dataDir }), (e) => {
    assertMatch((e as Error).message, /exists and is not a socket/);
  });
  assertEquals(Deno.readTextFileSync(`${dataDir}/kron.sock`), "not a socket");
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("a socket path over 107 bytes is a clear error naming a shorter --data-dir", async () => {
  const long = `/tmp/${"d".repeat(100)}`;
  assertEquals(socketPathFor("/var/lib/kron"), "/var/lib/kron/kron.sock");
  await assertRejects(() => serveAdmin(new Kron({ store: "memory" }), { dataDir: long }), (e) => {
    assert(e instanceof KronError);
    assertEquals(e.code, "invalid_option");
    assertMatch(e.message, /over the Unix limit of 107/);
    assertMatch(e.message, /use a shorter --data-dir \(at most 97 bytes/);
  });
  await assertRejects(() => Deno.stat(long));
});

Deno.test("without net permission for the socket: a one-line warning, socketPath null, the app runs on", async () => {
  const dataDir = tempDir();
  const out = await new Deno.Command(deno, {
    args: [
      "run",
      "--allow-read",
      `--allow-write=${dataDir}`,
      "--allow-env",
      "--allow-sys",
      new URL("./fixtures/no_net.ts", import.meta.url).pathname,
      dataDir,
    ],
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  assertEquals(JSON.parse(stdout.trim()), { socketPath: null, ran: 1 });
  const lines = stderr.trim().split("\n");
  assertEquals(lines.length, 1, stderr);
  assertEquals(
    lines[0],
    `kron: admin socket ${dataDir}/kron.sock not served (no net access to it; grant ` +
      `--allow-net=unix:${dataDir}/kron.sock); running on without it, and the CLI will read ` +
      `${dataDir} offline`,
  );
  Deno.removeSync(dataDir, { recursive: true });
});
