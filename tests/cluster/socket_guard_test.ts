// The guard of src/cluster/_sql.ts: a node survives postgres.js's unawaited array-types fetch
// failing with a reset socket (PostgreSQL restarting while the pool reconnects: seen ending a
// node in tests/cluster/restart_test about once in fifteen runs), with one WARN line; any
// other unhandled rejection still ends the process.
import { assert, assertEquals } from "../api/_assert.ts";

const FIXTURE = new URL("./fixtures/unhandled.ts", import.meta.url).pathname;

async function run(kind: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", FIXTURE, kind],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("cluster: a reset PostgreSQL socket rejecting postgres.js's own promise does not end the node", async () => {
  const socket = await run("socket");
  assertEquals(socket.code, 0, socket.stderr);
  assert(socket.stdout.includes("alive"), socket.stdout);
  const other = await run("other");
  assert(other.code !== 0, "an unhandled rejection of ours must still end the process");
  assert(!other.stdout.includes("alive"));
  assert(other.stderr.includes("a bug of ours"), other.stderr);
});
