/**
 * `kron logs <job> [--run ID] [-f|--follow]`: the captured stdout/stderr of a command job's
 * run (the latest one by default), read from `<dataDir>/runs/<job>/<run>.log`. With `--follow`
 * it keeps printing as the run writes, and then follows the job's next runs, until Ctrl-C.
 *
 * @example
 * ```ts
 * import { run } from "./logs.ts";
 * import { memoryIo } from "../output.ts";
 * await run(["backup"], memoryIo());
 * ```
 * @module
 */
import { expectPositionals, parseFlags, stringFlag } from "../args.ts";
import { dataDirForReads } from "../context.ts";
import { failure } from "../errors.ts";
import { type Io, paint } from "../output.ts";
import { openSource, type Source } from "../source.ts";
import type { RunView } from "../views.ts";
import { sleep } from "../../sleep.ts";

/**
 * The text of `kron logs --help`.
 *
 * @example
 * ```ts
 * import { help } from "./logs.ts";
 * console.log(help);
 * ```
 */
export const help = `kron logs <job> [--run ID] [-f|--follow]

Prints the captured output (stdout and stderr, in arrival order, capped per run) of a command
job's run: the latest run unless --run names one. kron's own notes (timeouts, kills) are in
the same file. Function jobs log through the runtime's log instead.

Flags:
  --run <id>        a specific run (see "kron history <job>")
  -f, --follow      keep printing new output, then follow the job's next runs (Ctrl-C stops)
  --data-dir <dir>  data directory

Examples:
  kron logs backup
  kron logs backup --run 01JD3M5Q8R2X7K9V4T6W1Y0Z3A
  kron logs backup -f`;

const POLL_MS = 250;
const decoder = new TextDecoder();

/**
 * Runs `kron logs` with the arguments after the command name; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { run } from "./logs.ts";
 * import { consoleIo } from "../output.ts";
 * const code = await run(["backup"], consoleIo());
 * ```
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    run: { type: "string" },
    follow: { type: "boolean", short: "f" },
  }, "logs");
  expectPositionals(positionals, 1, 1, "logs", "<job>");
  const job = positionals[0];
  const dataDir = await dataDirForReads(stringFlag(flags, "data-dir"));
  const source = await openSource(dataDir, io);
  try {
    let target: RunView | null;
    const runId = stringFlag(flags, "run");
    if (runId) {
      target = await source.run(runId);
      if (target.job !== job) {
        throw failure(`run ${runId} belongs to job "${target.job}", not "${job}"`);
      }
    } else {
      target = (await source.runs(job, 1))[0] ?? null;
    }
    if (!flags.follow) {
      if (!target) throw failure(`job "${job}" has no runs yet`);
      const text = await readLog(dataDir, job, target.id, 0);
      if (text === null) {
        io.err(`run ${target.id} of ${job} captured no output`);
      } else {
        io.write(decoder.decode(text));
      }
      return 0;
    }
    if (!source.live) {
      io.err("not following: no kron runtime is running");
      if (target) {
        const text = await readLog(dataDir, job, target.id, 0);
        if (text) io.write(decoder.decode(text));
      }
      return 0;
    }
    await follow(source, dataDir, job, target, !!runId, io);
    return 0;
  } finally {
    source.close();
  }
}

async function readLog(dataDir: string, job: string, id: string, from: number) {
  try {
    const file = await Deno.open(`${dataDir}/runs/${job}/${id}.log`, { read: true });
    try {
      await file.seek(from, Deno.SeekMode.Start);
      const chunks: Uint8Array[] = [];
      const buf = new Uint8Array(64 * 1024);
      for (;;) {
        const n = await file.read(buf);
        if (n === null) break;
        chunks.push(buf.slice(0, n));
      }
      const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
      let off = 0;
      for (const c of chunks) {
        out.set(c, off);
        off += c.length;
      }
      return out;
    } finally {
      file.close();
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

async function follow(
  source: Source,
  dataDir: string,
  job: string,
  first: RunView | null,
  onlyThisRun: boolean,
  io: Io,
): Promise<void> {
  let stop = false;
  const onSignal = () => stop = true;
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    let current = first;
    let shown = first === null ? "" : null; // id of the run whose end was already handled
    while (!stop) {
      if (current && shown !== current.id) {
        io.err(paint(`── run ${current.id} (attempt ${current.attempt}) ──`, "dim", io.errColor));
        let offset = 0;
        for (;;) {
          const chunk = await readLog(dataDir, job, current.id, offset);
          if (chunk && chunk.length > 0) {
            offset += chunk.length;
            io.write(decoder.decode(chunk));
          }
          if (stop) return;
          const state = await source.run(current.id);
          if (state.outcome !== null) {
            const rest = await readLog(dataDir, job, current.id, offset);
            if (rest && rest.length > 0) io.write(decoder.decode(rest));
            io.err(paint(`── ${state.outcome} ──`, "dim", io.errColor));
            break;
          }
          await sleep(POLL_MS);
        }
        shown = current.id;
        if (onlyThisRun) return;
      }
      await sleep(POLL_MS * 2);
      if (stop) return;
      const latest = (await source.runs(job, 1))[0] ?? null;
      if (latest && latest.id !== shown) current = latest;
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}
