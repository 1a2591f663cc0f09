/**
 * `kron run [file]`: runs a job file's jobs in the foreground until SIGINT/SIGTERM (graceful
 * shutdown within the configured timeout; a second signal exits at once). SIGHUP reloads the
 * file. Serves the admin API on `<dataDir>/kron.sock` so the other commands can reach it.
 *
 * Everything about the file is checked before the data dir is opened: an invalid file or a
 * command the `--allow-run` grant does not cover exits 2 and leaves the data dir untouched.
 *
 * @example
 * ```ts
 * import { run } from "./run.ts";
 * import { consoleIo } from "../output.ts";
 * Deno.exit(await run(["jobs.toml", "--allow-run"], consoleIo()));
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { expectPositionals, parseFlags, stringFlag } from "../args.ts";
import {
  dataDirForFile,
  dataDirForReads,
  defaultJobFileCandidates,
  findDefaultJobFile,
  pidFilePath,
  socketPath,
} from "../context.ts";
import { failure, usage } from "../errors.ts";
import { configureLogging, isLogFormat } from "../logging.ts";
import type { Io } from "../output.ts";
import { extractPermissions } from "../permissions.ts";
import { signalGate } from "../signals.ts";
import type { ApplyResult, Permissions } from "../../jobs/mod.ts";

/**
 * The text of `kron run --help`.
 *
 * @example
 * ```ts
 * import { help } from "./run.ts";
 * console.log(help);
 * ```
 */
export const help = `kron run [file] [--allow-run[=prog,…]] [--allow-net[=…]] [--allow-read[=…]]
         [--allow-write[=…]] [--allow-env[=…]] [--allow-sys] [--http host:port]
         [--sandbox-workers N]

Runs the jobs of a job file (jobs.toml or jobs.ts) in the foreground, logging one line per
event to stderr. Ctrl-C or SIGTERM shuts down gracefully: running jobs get up to
shutdown_timeout (default 30s) to finish, then they are cancelled; a second Ctrl-C (half a
second or more after the first: a terminal delivers several copies of one) exits at once.
SIGHUP (or "kron reload") re-reads the file.

Without a file: ./jobs.toml, then ./jobs.ts, then $XDG_CONFIG_HOME/kron/jobs.toml.

Permissions say what jobs may do, Deno-style. Command jobs need --allow-run (every program)
or --allow-run=prog1,prog2 listing their programs; kron refuses to start otherwise.
A value is only ever given with "=": "--allow-run jobs.toml" means all programs.

Flags:
  --allow-run[=…]          programs command jobs may run
  --allow-net[=…], --allow-read[=…], --allow-write[=…], --allow-env[=…], --allow-sys
                           what TS jobs may do: each runs in a worker with only these
                           (a job's permissions may narrow them); default: nothing
  --http <host:port>       also serve the admin API over TCP (overrides [kron] http)
  --sandbox-workers <N>    TS jobs: workers per permission set at most (overrides [kron]
                           sandbox_workers; default: the number of CPU cores)
  --data-dir <dir>         data directory (default: $KRON_DATA_DIR, [kron] data_dir, ./.kron)
  --log-format text|json   log format (default: [kron] log_format, else text)

Examples:
  kron run jobs.toml --allow-run
  kron run --allow-run=pg_dump,rsync --data-dir /var/lib/kron /etc/kron/jobs.toml
  kron run jobs.ts --allow-net=api.example.com --log-format json`;

const JOB_FILE_EXT = /\.(toml|ts|mts|js|mjs)$/i;

/**
 * The job file a runtime command should use: the argument, else the first default file. A
 * name that is not a file but a job gets the koku hint `did you mean "kron trigger <name>"?`.
 *
 * @example
 * ```ts
 * import { resolveJobFile } from "./run.ts";
 * await resolveJobFile("jobs.toml", undefined, "run"); // "jobs.toml"
 * ```
 */
export async function resolveJobFile(
  arg: string | undefined,
  dataDirFlag: string | undefined,
  command: string,
): Promise<string> {
  if (arg === undefined) {
    const found = findDefaultJobFile();
    if (found) return found;
    throw usage(
      `kron ${command}: no job file given and none found (${
        defaultJobFileCandidates().join(", ")
      }); create one with "kron init"`,
    );
  }
  let exists = false;
  try {
    exists = (await Deno.stat(arg)).isFile;
  } catch {
    exists = false;
  }
  if (exists) return arg;
  if (!JOB_FILE_EXT.test(arg) && await isKnownJob(arg, dataDirFlag)) {
    throw usage(`"${arg}" is a job, not a job file: did you mean "kron trigger ${arg}"?`);
  }
  throw usage(`${arg}: file not found`);
}

/** Whether `name` is a job of the default job file or of the data dir. */
async function isKnownJob(name: string, dataDirFlag: string | undefined): Promise<boolean> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) return false;
  const file = findDefaultJobFile();
  if (file) {
    try {
      const { loadJobFile, emptyPermissions } = await import("../../jobs/mod.ts");
      // In a sandbox with no permission: a jobs.ts never runs in kron's own isolate.
      const loaded = await loadJobFile(file, { sandbox: emptyPermissions() });
      if (loaded.jobs.some((j) => j.name === name)) return true;
    } catch {
      // An invalid default file says nothing about the name; the data dir may.
    }
  }
  try {
    const { readDataDir } = await import("../../store/mod.ts");
    return (await readDataDir(await dataDirForReads(dataDirFlag))).state.jobs.has(name);
  } catch {
    return false;
  }
}

/** The longest socket path a Unix domain socket takes (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

/**
 * Throws a usage error when the data dir's socket path is too long for a Unix socket.
 *
 * @example
 * ```ts
 * import { checkSocketPath } from "./run.ts";
 * checkSocketPath("/var/lib/kron"); // ok
 * ```
 */
export function checkSocketPath(dataDir: string): void {
  const path = socketPath(dataDir);
  if (new TextEncoder().encode(path).length > MAX_SOCKET_PATH) {
    throw usage(
      `the admin socket ${path} is longer than ${MAX_SOCKET_PATH} bytes, the limit of a Unix ` +
        `socket path: use a shorter --data-dir (e.g. /var/lib/kron)`,
    );
  }
}

/**
 * Runs `kron run` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./run.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run(["jobs.toml", "--allow-run"], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { permissions, rest } = extractPermissions(args);
  const { flags, positionals } = parseFlags(rest, {
    http: { type: "string" },
    "sandbox-workers": { type: "string" },
    // Set by "kron daemon start" on the process it starts.
    "daemon-child": { type: "boolean" },
  }, "run");
  expectPositionals(positionals, 0, 1, "run", "[file]");
  const file = await resolveJobFile(positionals[0], stringFlag(flags, "data-dir"), "run");
  return await runFile(file, permissions, flags, io);
}

/** `--sandbox-workers N`: a positive integer, or a one-line usage error. */
function sandboxWorkersFlag(flags: Record<string, string | boolean>): number | undefined {
  const text = stringFlag(flags, "sandbox-workers");
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw usage(`--sandbox-workers ${JSON.stringify(text)} must be a whole number ≥ 1`);
  }
  return n;
}

async function runFile(
  file: string,
  permissions: Permissions,
  flags: Record<string, string | boolean>,
  _io: Io,
): Promise<number> {
  const formatFlag = stringFlag(flags, "log-format");
  if (formatFlag !== undefined && !isLogFormat(formatFlag)) {
    throw usage(`--log-format ${JSON.stringify(formatFlag)} must be text or json`);
  }
  const { loadJobFile, JobRuntime, logLoadOutput } = await import("../../jobs/mod.ts");
  // A jobs.ts is loaded in a worker with only the granted permissions (src/jobs/sandbox.ts).
  // The loading worker stays up: the jobs of the grant's permission set run in it.
  const jobFile = await loadJobFile(file, { sandbox: permissions, keepWarm: true });
  const settings = jobFile.settings;
  const sandboxWorkers = sandboxWorkersFlag(flags) ?? settings.sandboxWorkers ?? undefined;
  await configureLogging(formatFlag ?? settings.logFormat ?? "text");
  logLoadOutput(file, jobFile.printed ?? []);
  const log = getLogger(["kron", "cli"]);
  const dataDir = dataDirForFile(stringFlag(flags, "data-dir"), file, settings.dataDir);
  checkSocketPath(dataDir);
  const { Kron, VERSION } = await import("../../kron/mod.ts");
  const { parseHostPort } = await import("../../api/mod.ts");
  const http = stringFlag(flags, "http") ?? settings.http ?? undefined;
  // Checked now: a bad address must not cost a start of the data dir.
  if (http !== undefined) parseHostPort(http);
  const reload = async (): Promise<ApplyResult> => {
    const next = await loadJobFile(file, { sandbox: permissions, keepWarm: true });
    logLoadOutput(file, next.printed ?? []);
    const result = runtime.apply(next);
    log.info("reloaded {file}: {added} added, {changed} changed, {removed} removed", {
      file,
      added: result.added.length,
      changed: result.changed.length,
      removed: result.removed.length,
      addedJobs: result.added,
      changedJobs: result.changed,
      removedJobs: result.removed,
    });
    return result;
  };
  // start() serves the admin API (socket, and TCP with --http) as every embedded Kron does.
  const kron = new Kron({
    dataDir,
    timezone: settings.timezone ?? undefined,
    durability: settings.durability ?? undefined,
    admin: { http, reload, version: VERSION },
  });
  const runtime = new JobRuntime(kron, { dataDir, permissions, sandboxWorkers });
  // Validates everything first: an invalid file exits 2 before the data dir is opened.
  runtime.apply(jobFile);

  const { connectAdmin } = await import("../admin.ts");
  const other = await connectAdmin(dataDir);
  if (other) {
    other.close();
    throw failure(`a kron runtime is already running on ${dataDir}`);
  }
  await kron.start();
  const served = kron.admin?.http;
  if (served) {
    // Where the token is, never the token: logs end up in places a token must not.
    const where = served.tokenFile === null
      ? "KRON_TOKEN"
      : served.tokenCreated
      ? "{tokenFile}, created now (mode 0600)"
      : "{tokenFile}";
    log.info(`admin API on http://{hostname}:{port} (bearer token: ${where})`, {
      hostname: served.hostname,
      port: served.port,
      tokenFile: served.tokenFile,
      tokenCreated: served.tokenCreated,
    });
  }
  const pidFile = pidFilePath(dataDir);
  await Deno.writeTextFile(pidFile, `${Deno.pid}\n`, { mode: 0o600 });

  log.info("kron {version} running {jobs} jobs from {file} (data dir {dataDir}, pid {pid})", {
    version: VERSION,
    jobs: jobFile.jobs.length,
    file,
    dataDir,
    pid: Deno.pid,
  });

  const signal = await new Promise<Deno.Signal>((resolve) => {
    // A terminal's Ctrl-C reaches kron two or three times (signals.ts): copies are one request.
    const gate = signalGate();
    const stop = (sig: Deno.Signal) => {
      const action = gate(sig);
      if (action === "force") {
        log.warn("second {signal}: exiting without waiting for running jobs", { signal: sig });
        Deno.exit(130);
      }
      if (action === "ignore") {
        log.debug("{signal} again within 500 ms of the first: the same request", { signal: sig });
      }
      if (action === "stop") resolve(sig);
    };
    Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
    Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
    Deno.addSignalListener("SIGHUP", () => {
      reload().catch((e) => {
        log.error("reload failed, nothing changed: {error}", {
          error: (e instanceof Error ? e.message : String(e)).split("\n")[0],
        });
      });
    });
  });

  const timeout = settings.shutdownTimeout ?? "30s";
  log.info("{signal}: shutting down (running jobs get up to {timeout})", { signal, timeout });
  await kron.shutdown({ timeout });
  await runtime.close();
  try {
    if ((await Deno.readTextFile(pidFile)).trim() === String(Deno.pid)) await Deno.remove(pidFile);
  } catch {
    // Already gone.
  }
  log.info("stopped");
  return 0;
}
