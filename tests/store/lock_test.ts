// Two processes on one data dir: the second fails at once with a message naming the holder.
import assert from "node:assert/strict";
import { FileStore } from "../../src/store/mod.ts";
import { absolute } from "../../src/store/_fs.ts";
import { tempDataDir } from "./_helpers.ts";

const FIXTURE = new URL("./fixtures/open_store.ts", import.meta.url).pathname;

function child(dataDir: string, ...args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FIXTURE, dataDir, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  while (!buf.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
  }
  reader.releaseLock();
  return buf.split("\n")[0];
}

Deno.test("lock: a second process fails fast naming the holder's pid", async () => {
  const dataDir = await tempDataDir();
  const store = new FileStore({ dataDir });
  await store.open();
  const proc = child(dataDir);
  proc.stdin.close();
  const out = await proc.output();
  const res = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(res.ok, false);
  assert.equal(res.code, "locked");
  assert.equal(
    res.message,
    `data dir ${absolute(dataDir)} is locked by pid ${Deno.pid} (another kron runtime is using it)`,
  );
  await store.close();
  // Released: now the child gets it.
  const proc2 = child(dataDir);
  proc2.stdin.close();
  assert.equal(JSON.parse(new TextDecoder().decode((await proc2.output()).stdout)).ok, true);
});

Deno.test("lock: while another process holds it, this one is refused; a dead holder frees it", async () => {
  const dataDir = await tempDataDir();
  const proc = child(dataDir, "hold");
  const res = JSON.parse(await firstLine(proc.stdout));
  assert.equal(res.ok, true);
  const err = await new FileStore({ dataDir }).open().catch((e) => e);
  assert.equal(err.code, "locked");
  assert.match(err.message, new RegExp(`locked by pid ${res.pid} `));
  proc.kill("SIGKILL"); // the kernel drops a dead process's flock
  await proc.status;
  await proc.stdin.close().catch(() => {});
  const store = new FileStore({ dataDir });
  await store.open();
  await store.close();
});
