/**
 * The CLI's dispatcher: finds the subcommand, loads only its module (read commands stay fast
 * because the engine, the loaders and the API server are imported by the commands that need
 * them), and turns any error into one line on stderr and an exit code (0 ok, 1 runtime error,
 * 2 usage or configuration error).
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * const code = await main(["status", "--json"]);
 * Deno.exit(code);
 * ```
 * @module
 */
import { closest, expectPositionals } from "./args.ts";
import { errorLine, EXIT_USAGE, exitCodeOf, usage } from "./errors.ts";
import { consoleIo, type Io, paint } from "./output.ts";
import { lazyImport } from "./lazy.ts";

/**
 * What every command module exports.
 *
 * @example
 * ```ts
 * import type { CommandModule } from "./main.ts";
 * const mod: CommandModule = await import("./commands/version.ts");
 * ```
 */
export interface CommandModule {
  /** The text of `kron <command> --help`. */
  help: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(args: string[], io: Io): Promise<number>;
}

interface Entry {
  summary: string;
  /** Loaded outside main.ts's module graph (lazy.ts), so a command pays only for its own. */
  load: () => Promise<CommandModule>;
}

/**
 * The subcommands, in the order `kron --help` lists them.
 *
 * @example
 * ```ts
 * import { COMMANDS } from "./main.ts";
 * const status = await COMMANDS.status.load();
 * console.log(status.help);
 * ```
 */
export const COMMANDS: Record<string, Entry> = {
  run: {
    summary: "run the jobs of a job file in the foreground",
    load: () => lazyImport("src/cli/commands/run.ts"),
  },
  daemon: {
    summary: "start, stop or inspect kron in the background",
    load: () => lazyImport("src/cli/commands/daemon.ts"),
  },
  status: {
    summary: "show jobs: state, last run, exit, next run",
    load: () => lazyImport("src/cli/commands/status.ts"),
  },
  history: {
    summary: "show a job's past runs",
    load: () => lazyImport("src/cli/commands/history.ts"),
  },
  logs: {
    summary: "show (or follow) a run's captured output",
    load: () => lazyImport("src/cli/commands/logs.ts"),
  },
  trigger: {
    summary: "start a run of a job now",
    load: () => lazyImport("src/cli/commands/trigger.ts"),
  },
  ping: {
    summary: "tell kron a watched job started, succeeded or failed",
    load: () => lazyImport("src/cli/commands/ping.ts"),
  },
  pause: {
    summary: "pause a job (optionally for a while)",
    load: () => lazyImport("src/cli/commands/pause.ts"),
  },
  resume: {
    summary: "resume a paused or stopped job",
    load: () => lazyImport("src/cli/commands/resume.ts"),
  },
  reload: {
    summary: "re-read the job file and apply the changes",
    load: () => lazyImport("src/cli/commands/reload.ts"),
  },
  check: {
    summary: "validate a job file and preview next run times",
    load: () => lazyImport("src/cli/commands/check.ts"),
  },
  init: {
    summary: "write a commented example jobs.toml or jobs.ts",
    load: () => lazyImport("src/cli/commands/init.ts"),
  },
  compact: {
    summary: "snapshot the state and drop old log segments",
    load: () => lazyImport("src/cli/commands/compact.ts"),
  },
  repair: {
    summary: "make a data dir with a corrupt log usable again",
    load: () => lazyImport("src/cli/commands/repair.ts"),
  },
  forget: {
    summary: "forget an orphaned job and its history",
    load: () => lazyImport("src/cli/commands/forget.ts"),
  },
  server: {
    summary: "run a cluster node on PostgreSQL (see docs/cluster.md)",
    load: () => lazyImport("src/cli/commands/server.ts"),
  },
  version: { summary: "print the version", load: () => lazyImport("src/cli/commands/version.ts") },
};

/** Global flags that take a value (so the value is not mistaken for the command). */
const VALUE_FLAGS = new Set(["--data-dir", "--log-format"]);

/**
 * The text of `kron --help`.
 *
 * @example
 * ```ts
 * import { mainHelp } from "./main.ts";
 * mainHelp().startsWith("kron"); // true
 * ```
 */
export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, e]) =>
    `  ${name.padEnd(width)}  ${e.summary}`
  );
  return `kron: a job scheduler whose every run is an event in a durable log

Usage: kron <command> [arguments] [flags]

Commands:
${lines.join("\n")}

Global flags:
  --data-dir <dir>        data directory (default: $KRON_DATA_DIR, the job file's
                          [kron] data_dir, else ./.kron)
  --log-format text|json  log format of the runtime (run, daemon start)
  -h, --help              help for kron or a command
  -V, -v, --version       print the version

Also accepted (the spellings of koku and Kron, same meaning):
  job list | job status <job> | job history <job>   status | status <job> | history <job>
  daemon run [file]                                 run [file] (in the foreground)
  pause <job> --hours N                             pause <job> --for Nh
  ku                                                kron (both put on PATH by "deno task install")

Exit codes: 0 ok, 1 runtime error, 2 usage or configuration error.
Run "kron <command> --help" for a command's flags and examples.`;
}

/** `kron job list|status|history …` (Kron's spelling) as the command it means. */
const JOB_VERBS: Record<string, string> = { list: "status", status: "status", history: "history" };

/**
 * Rewrites a seed spelling to kron's own command: `job list` → `status`, `job status <job>` →
 * `status <job>`, `job history <job>` → `history <job>`. Other commands are returned as they are.
 *
 * @example
 * ```ts
 * import { expandAlias } from "./main.ts";
 * expandAlias("job", ["history", "backup", "--limit", "5"]); // ["history", ["backup", "--limit", "5"]]
 * ```
 */
export function expandAlias(name: string, rest: string[]): [string, string[]] {
  if (name !== "job") return [name, rest];
  const index = firstPositional(rest);
  const verb = index === -1 ? undefined : rest[index];
  if (verb === undefined || !Object.hasOwn(JOB_VERBS, verb)) {
    throw usage(
      verb === undefined
        ? `kron job: missing subcommand list, status <job> or history <job>`
        : `kron job: unknown subcommand "${verb}" (list, status <job> or history <job>)`,
    );
  }
  const args = rest.filter((_, i) => i !== index);
  if (verb === "list") {
    expectPositionals(args.filter((a) => !a.startsWith("-")), 0, 0, "job list", "");
  }
  return [JOB_VERBS[verb], args];
}

/** The index of the first argument that is neither a flag nor a global flag's value; -1 if none. */
function firstPositional(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") return -1;
    if (VALUE_FLAGS.has(a)) i++;
    else if (!a.startsWith("-")) return i;
  }
  return -1;
}

/** Flags that mean something without a command. */
const TOP_FLAGS = ["--help", "-h", "--version", "-V", "-v", "--data-dir", "--log-format"];

/**
 * Runs the CLI with `args` (without the program name) and resolves to the exit code. Never
 * throws: errors are printed as one line.
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * import { memoryIo } from "./output.ts";
 * const io = memoryIo();
 * await main(["--help"], io); // 0
 * ```
 */
export async function main(args: string[], io: Io = consoleIo()): Promise<number> {
  try {
    const index = firstPositional(args);
    if (index === -1) {
      const unknown = args.find((a, i) =>
        a.startsWith("-") && a !== "--" && !TOP_FLAGS.includes(a.split("=")[0]) &&
        !VALUE_FLAGS.has(args[i - 1])
      );
      if (unknown !== undefined) {
        const guess = closest(unknown.split("=")[0], TOP_FLAGS.filter((f) => f.startsWith("--")));
        const hint = guess ? ` (did you mean ${guess}?)` : ` (see "kron --help")`;
        throw usage(`unknown flag ${unknown.split("=")[0]}${hint}`);
      }
      if (args.includes("--version") || args.includes("-V") || args.includes("-v")) {
        return await (await COMMANDS.version.load()).run([], io);
      }
      const asked = args.includes("--help") || args.includes("-h");
      (asked ? io.out : io.err)(mainHelp());
      return asked ? 0 : EXIT_USAGE;
    }
    const [name, rest] = expandAlias(args[index], [
      ...args.slice(0, index),
      ...args.slice(index + 1),
    ]);
    if (name === "help") {
      const topic = rest.find((a) => !a.startsWith("-"));
      if (topic && COMMANDS[topic]) io.out((await COMMANDS[topic].load()).help);
      else io.out(mainHelp());
      return 0;
    }
    const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!entry) {
      const guess = closest(name, Object.keys(COMMANDS));
      const hint = guess ? `; did you mean "kron ${guess}"?` : ` (see "kron --help")`;
      io.err(`${errorPrefix(io)}unknown command "${name}"${hint}`);
      return EXIT_USAGE;
    }
    const mod = await entry.load();
    const end = rest.indexOf("--");
    const flags = end === -1 ? rest : rest.slice(0, end);
    if (flags.includes("--help") || flags.includes("-h")) {
      io.out(mod.help);
      return 0;
    }
    return await mod.run(rest, io);
  } catch (e) {
    // The reader went away (`kron check | head`): stop quietly, as a process SIGPIPE ends does.
    if (e instanceof Deno.errors.BrokenPipe) return EXIT_BROKEN_PIPE;
    io.err(`${errorPrefix(io)}${errorLine(e)}`);
    return exitCodeOf(e);
  }
}

/** What a shell reports for a process ended by SIGPIPE (128 + 13). */
const EXIT_BROKEN_PIPE = 141;

function errorPrefix(io: Io): string {
  return `${paint("error", "red", io.errColor)}: `;
}
