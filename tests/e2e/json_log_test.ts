// With log_format = "json", every line kron writes on stdout and stderr is one JSON object,
// also after the admin API has answered POSTs of every shape: a bare POST (no Content-Length,
// as `curl -X POST` sends it), a chunked JSON body, and the CLI's own requests.
import { assert, assertEquals } from "./_assert.ts";
import { kron, project, startRun, until } from "./_cli.ts";

const JOBS = `[kron]
log_format = "json"

[[job]]
name = "hello"
every = "1h"
command = "sh -c 'echo hi'"
`;

/** Sends raw HTTP/1.1 bytes over the socket; resolves to the status code. */
async function rawRequest(socket: string, head: string, body = ""): Promise<number> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  try {
    await conn.write(new TextEncoder().encode(head + body));
    let text = "";
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the server already.
    }
  }
}

Deno.test("log_format = json: every stdout/stderr line is JSON after API POSTs", async () => {
  const p = project();
  p.write("jobs.toml", JOBS);
  const opts = { cwd: p.dir, dataDir: p.dataDir };
  const rt = await startRun(["--allow-run=sh"], opts);
  let stopped = false;
  try {
    const socket = `${p.dataDir}/kron.sock`;
    // A bare POST: no Content-Length, no body (Hono's body-limit copied the request here, which
    // touched its signal and made Deno.serve print its legacy-abort warning).
    assertEquals(
      await rawRequest(
        socket,
        "POST /v1/jobs/hello/trigger HTTP/1.1\r\nHost: kron\r\nConnection: close\r\n\r\n",
      ),
      202,
    );
    await until(() => /"outcome":"succeeded"/.test(rt.stderr), "the triggered run's success");
    // A chunked JSON body.
    const json = '{"for":"1h"}';
    const chunked = `${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`;
    assertEquals(
      await rawRequest(
        socket,
        "POST /v1/jobs/hello/pause HTTP/1.1\r\nHost: kron\r\nConnection: close\r\n" +
          "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        chunked,
      ),
      200,
    );
    // The CLI's requests.
    const resume = await kron(["resume", "hello"], opts);
    assertEquals(resume.code, 0, resume.stderr);
    const trigger = await kron(["trigger", "hello"], opts);
    assertEquals(trigger.code, 0, trigger.stderr);
    await until(
      () => (rt.stderr.match(/"outcome":"succeeded"/g) ?? []).length >= 2,
      "the second run's success",
    );
    assertEquals(await rt.stop(), 0, rt.stderr);
    stopped = true;

    const lines = (rt.stdout + rt.stderr).split("\n").filter((l) => l !== "");
    for (const line of lines) {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        throw new Error(`a log line is not JSON: ${line}\n--- whole log:\n${rt.stderr}`);
      }
      assert(typeof record === "object" && record !== null && !Array.isArray(record), line);
    }
    const messages = lines.map((l) => (JSON.parse(l) as { message?: string }).message ?? "");
    assert(messages.some((m) => m.includes("running 1 jobs")), rt.stderr);
    assertEquals(messages.at(-1), "stopped", rt.stderr);
  } finally {
    if (!stopped) await rt.stop();
    await p.cleanup();
  }
});
