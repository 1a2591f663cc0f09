/**
 * The load case's Prometheus: scrapes `/metrics` over TCP with the bearer token, in a process of
 * its own at nice 10, as a Prometheus server on another machine would (in the harness's process
 * the 200 clients' own event loop timed its reading of a 25 MB body as much as kron's answer).
 * Asks for gzip as Prometheus does. One scrape at once (kron's first render, reported apart), then one
 * every 5 s while the clients are on. Prints one JSON line per scrape:
 * `{"first":bool,"at":n,"headersMs":n,"kronMs":n,"bodyMs":n,"inflateMs":n,"status":n,"bytes":n,
 * "inflated":n}` or `{"error":"…"}`: `kronMs` the front's handler time (`Server-Timing`),
 * `at` when it was sent (epoch ms), `bodyMs` to the last byte of kron's answer as sent, `inflateMs` the scraper's own inflating
 * of it afterwards (Prometheus' work, not kron's).
 *
 * Usage: `deno run --allow-read --allow-write --allow-net _load_scraper.ts <target> <tokenFile>
 * <start> <windowMs> <windows> <firstOn>`: `<target>` a Unix socket's path or
 * `tcp://host:port`; `<tokenFile>` the bearer token's file, or `-` for none.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import { Phases } from "./load.ts";
import { sleep } from "./_common.ts";
import { KeepAliveClient } from "./_load_client.ts";

const [target, tokenFile, ...rest] = Deno.args;
const phases = Phases.fromArgs(rest);
const http = new KeepAliveClient(target);
const headers: Record<string, string> = { "accept-encoding": "gzip" };
if (tokenFile !== "-") headers.authorization = `Bearer ${Deno.readTextFileSync(tokenFile).trim()}`;

async function scrape(first: boolean): Promise<void> {
  const at = Date.now();
  const t = performance.now();
  try {
    const res = await http.request("GET", "/metrics", headers, true);
    const bodyMs = performance.now() - t;
    const t1 = performance.now();
    const inflated = gunzipSync(res.body).byteLength;
    const inflateMs = performance.now() - t1;
    console.log(JSON.stringify({
      first,
      at,
      headersMs: res.headMs,
      kronMs: res.serverTiming,
      bodyMs,
      inflateMs,
      status: res.status,
      bytes: res.bytes,
      inflated,
    }));
  } catch (e) {
    console.log(JSON.stringify({ error: `${(e as Error).name}: ${(e as Error).message}` }));
  }
}

await scrape(true);
while (await phases.untilOn()) {
  await scrape(false);
  await sleep(5000);
}
http.close();
