/**
 * kron embedded in an app: a few jobs, run for a few seconds, with status printed as they go.
 * State goes to the default data dir (`.kron`, or `KRON_DATA_DIR`), so a second run picks up
 * where the first stopped: look at `.kron/log/*.ndjson` with `jq` afterwards. While it runs it
 * serves the admin API on `.kron/kron.sock` (every Kron with a data dir does), so the CLI sees it
 * live from another terminal: `deno task kron status`, `deno task kron trigger flaky`.
 *
 *   deno task demo        (--allow-net: for that socket; Deno scopes unix sockets by absolute path)
 */
import { Kron } from "../mod.ts";

const kron = new Kron();

// Every 2 seconds, anchored to the previous scheduled time (no drift).
kron.schedule("heartbeat", { every: "2s", description: "says hello" }, (ctx) => {
  console.log(`  heartbeat ${ctx.runId} (${ctx.idempotencyKey})`);
});

// A 6-field cron (seconds first): at second 0, 15, 30, 45 of every minute, in Rome's time.
kron.schedule("quarter", { cron: "*/15 * * * * *", timezone: "Europe/Rome" }, () => {
  console.log("  quarter-minute job");
});

// Fails twice, then succeeds: retries with exponential backoff and jitter.
let attempts = 0;
kron.schedule("flaky", { every: "3s", retries: 3, retryDelay: "200ms" }, (ctx) => {
  attempts++;
  if (ctx.attempt < 3) throw new Error(`transient failure #${attempts}`);
  console.log(`  flaky succeeded on attempt ${ctx.attempt}`);
});

// A run that ignores nothing: it honours its abort signal when the timeout fires.
kron.schedule("slow", { every: "4s", timeout: "500ms" }, async (ctx) => {
  await new Promise((resolve, reject) => {
    const t = setTimeout(resolve, 2_000);
    ctx.signal.addEventListener("abort", () => {
      clearTimeout(t);
      reject(ctx.signal.reason);
    });
  });
});

await kron.start();
console.log(`kron started, data dir ${kron.dataDir}, admin API on ${kron.admin?.socketPath}`);

function table(): void {
  const rows = kron.list().map((j) => [
    j.name,
    j.state,
    j.lastRun ? `${j.lastRun.outcome ?? "running"} (attempt ${j.lastRun.attempt})` : "—",
    j.nextRunAt?.toISOString().slice(11, 23) ?? "—",
  ]);
  const header = ["NAME", "STATE", "LAST RUN", "NEXT RUN (UTC)"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) {
    console.log(row.map((c, i) => c.padEnd(widths[i])).join("  "));
  }
}

const seconds = Number(Deno.env.get("KRON_DEMO_SECONDS") ?? 8);
for (let i = 0; i < seconds / 4; i++) {
  await new Promise((r) => setTimeout(r, 4_000));
  console.log();
  table();
}
const history = await kron.history("flaky", { limit: 5 });
console.log("\nflaky, last attempts:");
for (const run of history) {
  console.log(
    `  ${run.id}  attempt ${run.attempt}  ${run.outcome ?? "running"}  ${run.error ?? ""}`,
  );
}
await kron.shutdown({ timeout: "2s" });
console.log("\nshut down cleanly");
