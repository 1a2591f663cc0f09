/**
 * The kron under load for the load case: an embedded app (library mode) with thousands of
 * function jobs and the admin API on `<dataDir>/kron.sock` (served by `start()`, by default) and
 * on a TCP port of loopback (bearer token in `<dataDir>/admin.token`), where the scraper reads
 * `/metrics` as Prometheus would. The harness starts it with the exact permission flags of
 * deno.json's `kron` task, as the binary would run.
 *
 * Usage: `deno run <kron flags> _load_app.ts <dataDir> <jobs>`. Prints `tcp <port>` and `ready`
 * once serving; SIGTERM shuts it down cleanly and prints `stopped`.
 *
 * @module
 */
import { Kron } from "../../src/kron/mod.ts";

const [dataDir, count] = [Deno.args[0], Number(Deno.args[1] ?? 10_000)];
const kron = new Kron({ dataDir, admin: { http: "127.0.0.1:0" } });
for (let i = 0; i < count; i++) {
  // Half interval jobs (all due together: a burst each period), half cron jobs with seconds.
  const name = `load-${String(i).padStart(5, "0")}`;
  if (i % 2 === 0) kron.schedule(name, { every: "10s" }, () => {});
  else kron.schedule(name, { cron: "*/15 * * * * *", timezone: "UTC" }, () => {});
}
await kron.start();
console.log(`tcp ${kron.admin?.http?.port}`);
console.log("ready");
// Event-loop lag, for the report: the engine's timers share this thread with the API.
let lastTick = performance.now();
let maxLag = 0;
setInterval(() => {
  const now = performance.now();
  maxLag = Math.max(maxLag, now - lastTick - 100);
  lastTick = now;
}, 100);
const stop = async () => {
  await kron.shutdown({ timeout: "10s" });
  console.log(`max event-loop lag ${Math.round(maxLag)} ms`);
  console.log("stopped");
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
