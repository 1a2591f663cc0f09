// `new Kron({ dataDir })` serves its admin API from start() to shutdown() by default; `admin`
// tunes it (`false`, `{ http }`, the serveAdmin options); a memory store serves no socket; a
// missing permission or an over-long socket path is one warning line, never a prompt or a stop.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { tempDir } from "./_helpers.ts";
import { Kron } from "../../src/kron/mod.ts";
import { AdminClient } from "../../src/api/mod.ts";

const deno = Deno.execPath();

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("a data dir Kron serves kron.sock from start() to shutdown()", async () => {
  const dataDir = tempDir();
  const kron = new Kron({ dataDir, durability: "none" });
  kron.schedule("a", { every: "1h" }, () => {});
  assertEquals(kron.admin, null);
  await kron.start();
  try {
    assertEquals(kron.admin?.socketPath, `${dataDir}/kron.sock`);
    assertEquals(kron.admin?.http, null);
    const client = await AdminClient.connect(dataDir);
    assert(client, "a live runtime answers on the socket");
    try {
      assertEquals((await client.jobs()).jobs.map((j) => j.name), ["a"]);
    } finally {
      client.close();
    }
  } finally {
    await kron.shutdown();
  }
  assertEquals(kron.admin, null);
  assert(!(await exists(`${dataDir}/kron.sock`)), "socket removed at shutdown");
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("admin: false, and a memory store, serve nothing", async () => {
  const dataDir = tempDir();
  const off = new Kron({ dataDir, durability: "none", admin: false });
  await off.start();
  assertEquals(off.admin, null);
  assert(!(await exists(`${dataDir}/kron.sock`)));
  assertEquals(await AdminClient.connect(dataDir), null);
  await off.shutdown();
  const memory = new Kron({ store: "memory" });
  await memory.start();
  assertEquals(memory.admin, null);
  await memory.shutdown();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("admin: { http } adds TCP with a bearer token; reload and other serveAdmin options reach it", async () => {
  const dataDir = tempDir();
  const kron = new Kron({
    dataDir,
    durability: "none",
    admin: {
      http: "127.0.0.1:0",
      version: "9.9.9-test",
      reload: () => Promise.resolve({ added: ["x"], changed: [], removed: [] }),
    },
  });
  await kron.start();
  try {
    const http = kron.admin?.http;
    assert(http && http.port > 0, JSON.stringify(kron.admin));
    assertEquals(kron.admin?.socketPath, `${dataDir}/kron.sock`);
    const token = Deno.readTextFileSync(`${dataDir}/admin.token`).trim();
    const base = `http://127.0.0.1:${http.port}`;
    let res = await fetch(`${base}/v1/jobs`);
    assertEquals(res.status, 401);
    await res.body?.cancel();
    const auth = { authorization: `Bearer ${token}` };
    res = await fetch(`${base}/v1/reload`, { method: "POST", headers: auth });
    assertEquals(await res.json(), { added: ["x"], changed: [], removed: [] });
    res = await fetch(`${base}/metrics`, { headers: auth });
    assertMatch(await res.text(), /kron_build_info\{[^}]*version="9\.9\.9-test"/);
  } finally {
    await kron.shutdown();
  }
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("a socket path over the Unix limit: one warning line, the app runs on", async () => {
  const parent = tempDir();
  const dataDir = `${parent}/${"d".repeat(100)}`;
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
  const kron = new Kron({ dataDir, durability: "none" });
  let ran = false;
  kron.schedule("a", { every: "1h" }, () => {
    ran = true;
  });
  try {
    await kron.start();
    assertEquals(kron.admin?.socketPath, null);
    await kron.trigger("a");
    assert(ran);
  } finally {
    await kron.shutdown();
    console.warn = warn;
  }
  assertEquals(warnings.length, 1, warnings.join("\n"));
  assertMatch(
    warnings[0],
    /^kron: admin socket not served \(.*over the Unix limit of 107.*\); running on without it$/,
  );
  Deno.removeSync(parent, { recursive: true });
});

Deno.test("at a terminal without net permission: the warning, never a permission prompt", async () => {
  // `script` gives the app a pty: a permission *request* would print Deno's prompt there and
  // wait for an answer; a query does not.
  const dataDir = tempDir();
  const fixture = new URL("./fixtures/no_net.ts", import.meta.url).pathname;
  const cmd = `${deno} run --allow-read --allow-write=${dataDir} --allow-env --allow-sys ` +
    `${fixture} ${dataDir}`;
  const child = new Deno.Command("script", {
    args: ["-qec", cmd, "/dev/null"],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, text);
  assert(!/Deno requests/.test(text), text);
  assertMatch(
    text,
    /kron: admin socket \S+ not served \(no net access to it; grant --allow-net=unix:/,
  );
  assertMatch(text, /\{"socketPath":null,"ran":1\}/);
  Deno.removeSync(dataDir, { recursive: true });
});
