/**
 * `kron daemon start [file] | stop | status`: kron in the background. `start` launches
 * `kron run` as a detached process (its output appended to `<dataDir>/kron.log`, its pid in
 * `<dataDir>/kron.pid`) and returns once the runtime answers on its socket, or reports why
 * the process died. `stop` sends SIGTERM and waits for the graceful shutdown.
 *
 * @example
 * ```ts
 * import { run } from "./daemon.ts";
 * import { consoleIo } from "../output.ts";
 * await run(["start", "jobs.toml", "--allow-run"], consoleIo());
 * await run(["status"], consoleIo());
 * await run(["stop"], consoleIo());
 * ```
 * @module
 */
import { expectPositionals, intFlag, parseFlags, stringFlag } from "../args.ts";
import {
  absPath,
  daemonLogPath,
  dataDirForFile,
  dataDirForReads,
  pidFilePath,
} from "../context.ts";
import { CliError, EXIT_RUNTIME, failure, usage } from "../errors.ts";
import { formatMs, formatTime, type Io, toJson } from "../output.ts";
import { extractPermissions, permissionFlags } from "../permissions.ts";
import { connectAdmin } from "../admin.ts";
import { selfCommand } from "../self.ts";
import { checkSocketPath, resolveJobFile, run as runForeground } from "./run.ts";
import { sleep } from "../../sleep.ts";

/**
 * The text of `kron daemon --help`.
 *
 * @example
 * ```ts
 * import { help } from "./daemon.ts";
 * console.log(help);
 * ```
 */
export const help = `kron daemon start [file] [--allow-…] [--http host:port] [--wait N]
kron daemon stop [--timeout N]
kron daemon status [--json]
kron daemon run [file] [--allow-…]

start   runs "kron run [file]" in the background with the same flags (see "kron run --help"
        for the file lookup and the --allow-* permissions). Output goes to
        <data-dir>/kron.log, the pid to <data-dir>/kron.pid. Returns once kron answers on
        its socket; if it dies first, prints why and exits with its code (2 for an invalid
        job file or a missing permission).
stop    sends SIGTERM and waits until kron has shut down gracefully (running jobs get up to
        shutdown_timeout).
status  shows whether kron runs: pid, uptime, jobs, data dir, log file (exit 1 if not).
run     koku's spelling of "kron run [file]": kron in the foreground, same flags.

Flags:
  --wait N            start: seconds to wait for kron to answer (default 20)
  --timeout N         stop: seconds to wait for the shutdown (default 60)
  --json              status: print JSON
  --data-dir <dir>    data directory
  --log-format text|json   start: log format

Examples:
  kron daemon start --allow-run
  kron daemon start /etc/kron/jobs.toml --allow-run=pg_dump --data-dir /var/lib/kron
  kron daemon status
  kron daemon stop`;

const VALUE_FLAGS = new Set([
  "--data-dir",
  "--log-format",
  "--http",
  "--sandbox-workers",
  "--wait",
  "--timeout",
]);

/**
 * Runs `kron daemon` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./daemon.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run(["status"], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  let index = -1;
  for (let i = 0; i < args.length && index === -1; i++) {
    if (VALUE_FLAGS.has(args[i])) i++;
    else if (!args[i].startsWith("-")) index = i;
  }
  const sub = index === -1 ? undefined : args[index];
  const rest = args.filter((_, i) => i !== index);
  switch (sub) {
    case "start":
      return await start(rest, io);
    case "stop":
      return await stop(rest, io);
    case "status":
      return await status(rest, io);
    case "run":
      // koku's "daemon run": kron in the foreground, exactly "kron run".
      return await runForeground(rest, io);
    default:
      throw usage(
        sub === undefined
          ? `kron daemon: missing subcommand start, stop, status or run`
          : `kron daemon: unknown subcommand "${sub}" (start, stop, status or run)`,
      );
  }
}

async function start(args: string[], io: Io): Promise<number> {
  const { permissions, rest } = extractPermissions(args);
  const { flags, positionals } = parseFlags(rest, {
    http: { type: "string" },
    "sandbox-workers": { type: "string" },
    wait: { type: "string" },
  }, "daemon start");
  expectPositionals(positionals, 0, 1, "daemon start", "[file]");
  const waitS = intFlag(flags, "wait", 20, "kron daemon start");
  const file = absPath(
    await resolveJobFile(positionals[0], stringFlag(flags, "data-dir"), "daemon start"),
  );
  // Checked here too, so a bad file is reported at once rather than through the log.
  const { loadJobFile, verifyJobFile } = await import("../../jobs/mod.ts");
  const jobFile = await loadJobFile(file, { sandbox: permissions });
  verifyJobFile(jobFile, permissions);
  const dataDir = dataDirForFile(stringFlag(flags, "data-dir"), file, jobFile.settings.dataDir);
  checkSocketPath(dataDir);
  const live = await connectAdmin(dataDir);
  if (live) {
    live.close();
    throw failure(`kron is already running on ${dataDir} (${await pidText(dataDir)})`);
  }
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const logPath = daemonLogPath(dataDir);
  const logFile = await Deno.open(logPath, { append: true, create: true, mode: 0o600 });
  const logStart = (await logFile.stat()).size;
  logFile.close();

  const self = await selfCommand();
  const childArgs = [
    ...self.args,
    "run",
    file,
    ...permissionFlags(permissions),
    "--data-dir",
    dataDir,
    "--daemon-child",
  ];
  const format = stringFlag(flags, "log-format");
  if (format) childArgs.push("--log-format", format);
  const http = stringFlag(flags, "http");
  if (http) childArgs.push("--http", http);
  const sandboxWorkers = stringFlag(flags, "sandbox-workers");
  if (sandboxWorkers) childArgs.push("--sandbox-workers", sandboxWorkers);
  // A shell does the redirection: Deno.Command cannot point stdout at a file, and the daemon
  // must not depend on this process staying alive to drain its pipes.
  const child = new Deno.Command("/bin/sh", {
    args: [
      "-c",
      'log="$1"; shift; exec "$@" >>"$log" 2>&1 </dev/null',
      "kron-daemon",
      logPath,
      self.command,
      ...childArgs,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  let exited: Deno.CommandStatus | null = null;
  child.status.then((s) => exited = s);
  child.unref();

  const deadline = Date.now() + waitS * 1000;
  while (Date.now() < deadline) {
    await sleep(100);
    if (exited) break;
    const admin = await connectAdmin(dataDir);
    if (admin) {
      const jobs = await admin.jobs().catch(() => []);
      admin.close();
      io.out(
        `kron started: pid ${child.pid}, ${jobs.length} jobs from ${file}\n` +
          `data dir ${dataDir}, log ${logPath}`,
      );
      return 0;
    }
  }
  const why = await logTail(logPath, logStart);
  if (exited) {
    const code = (exited as Deno.CommandStatus).code;
    throw new CliError(
      code === 2 ? 2 : EXIT_RUNTIME,
      `kron exited during start (exit ${code})${why ? `: ${why}` : ""} (log ${logPath})`,
    );
  }
  throw failure(`kron did not answer within ${waitS}s (pid ${child.pid}); see ${logPath}`);
}

async function stop(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, { timeout: { type: "string" } }, "daemon stop");
  expectPositionals(positionals, 0, 0, "daemon stop", "");
  const timeoutS = intFlag(flags, "timeout", 60, "kron daemon stop");
  const dataDir = await dataDirForReads(stringFlag(flags, "data-dir"));
  const pid = await readPid(dataDir);
  const admin = await connectAdmin(dataDir);
  admin?.close();
  if (pid === null || !alive(pid)) {
    if (pid !== null) await Deno.remove(pidFilePath(dataDir)).catch(() => {});
    if (admin) {
      throw failure(`kron answers on ${dataDir} but its pid file is missing; stop it by hand`);
    }
    throw failure(`kron is not running on ${dataDir}`);
  }
  Deno.kill(pid, "SIGTERM");
  const t0 = Date.now();
  // The runtime removes its pid file as the last step of a clean shutdown; a process that
  // died another way is noticed by the probe (once it has been reaped).
  while (alive(pid) && await readPid(dataDir) === pid) {
    if (Date.now() - t0 > timeoutS * 1000) {
      throw failure(
        `kron (pid ${pid}) is still shutting down after ${timeoutS}s; see ${
          daemonLogPath(dataDir)
        }`,
      );
    }
    await sleep(50);
  }
  io.out(`kron stopped (pid ${pid}, in ${formatMs(Date.now() - t0)})`);
  return 0;
}

async function status(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, { json: { type: "boolean" } }, "daemon status");
  expectPositionals(positionals, 0, 0, "daemon status", "");
  const dataDir = await dataDirForReads(stringFlag(flags, "data-dir"));
  const pid = await readPid(dataDir);
  const admin = await connectAdmin(dataDir);
  let since: Date | null = null;
  try {
    since = pid === null ? null : (await Deno.stat(pidFilePath(dataDir))).mtime;
  } catch {
    since = null;
  }
  const jobs = admin ? await admin.jobs().catch(() => null) : null;
  admin?.close();
  const running = admin !== null;
  const info = {
    running,
    pid: running || (pid !== null && alive(pid)) ? pid : null,
    startedAt: running && since ? since.toISOString() : null,
    uptimeMs: running && since ? Date.now() - since.getTime() : null,
    jobs: jobs?.length ?? null,
    dataDir,
    log: daemonLogPath(dataDir),
  };
  if (flags.json) {
    io.out(toJson(info));
    return running ? 0 : 1;
  }
  if (running) {
    io.out(
      `kron is running: pid ${info.pid ?? "?"}` +
        (since ? `, up ${formatMs(info.uptimeMs)} (since ${formatTime(since)})` : "") +
        `, ${info.jobs ?? "?"} jobs`,
    );
    io.out(`data dir ${dataDir}, log ${info.log}`);
    return 0;
  }
  if (info.pid !== null) {
    io.out(`kron (pid ${info.pid}) is alive but does not answer on ${dataDir}/kron.sock`);
  } else {
    io.out(`kron is not running (data dir ${dataDir})`);
  }
  return 1;
}

async function readPid(dataDir: string): Promise<number | null> {
  try {
    const n = Number((await Deno.readTextFile(pidFilePath(dataDir))).trim());
    return Number.isInteger(n) && n > 1 ? n : null;
  } catch {
    return null;
  }
}

async function pidText(dataDir: string): Promise<string> {
  const pid = await readPid(dataDir);
  return pid === null ? "pid unknown" : `pid ${pid}`;
}

/**
 * Whether a process exists. kron's permissions do not cover reading `/proc/<pid>` (Deno wants
 * every permission for that), so this probes with SIGCONT, which a running process ignores
 * (kron's daemon is never stopped) and which fails with ESRCH once the process is gone.
 */
function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch (e) {
    return !(e instanceof Deno.errors.NotFound);
  }
}

/** The last meaningful line written to the daemon log since `from` (why a start failed). */
async function logTail(path: string, from: number): Promise<string> {
  try {
    const bytes = await Deno.readFile(path);
    const lines = new TextDecoder().decode(bytes.subarray(from)).split("\n")
      .map((l) => l.trim()).filter(Boolean);
    const error = [...lines].reverse().find((l) => /^error:|ERROR|FATAL/.test(l));
    return (error ?? lines[lines.length - 1] ?? "").replace(/^error:\s*/, "");
  } catch {
    return "";
  }
}
