/**
 * The load case's Prometheus: scrapes `/metrics` over the socket in a process of its own, as a
 * Prometheus server would (in the harness's process the 200 clients' own event loop timed its
 * reading of a 25 MB body as much as kron's answer). One scrape at once (kron's first render,
 * reported apart), then one every 5 s while the clients are on. Prints one JSON line per scrape:
 * `{"first":bool,"headersMs":n,"bodyMs":n,"status":n,"bytes":n}` or `{"error":"…"}`.
 *
 * Usage: `deno run --allow-read --allow-write --allow-net _load_scraper.ts <socket> <start>
 * <windowMs> <windows> <firstOn>`.
 *
 * @module
 */
import { Phases } from "./load.ts";
import { sleep } from "./_common.ts";

const [socket, start, windowMs, windows, firstOn] = Deno.args;
const phases = new Phases(Number(start), Number(windowMs), Number(windows), firstOn === "true");
const http = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });

async function scrape(first: boolean): Promise<void> {
  const t = performance.now();
  try {
    const res = await fetch("http://localhost/metrics", {
      client: http,
      signal: AbortSignal.timeout(60_000),
    });
    const headersMs = performance.now() - t;
    const bytes = (await res.arrayBuffer()).byteLength;
    const bodyMs = performance.now() - t;
    console.log(JSON.stringify({ first, headersMs, bodyMs, status: res.status, bytes }));
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
