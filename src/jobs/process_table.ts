/**
 * Facts from the process table for command jobs: a process's start time (the pid-reuse guard),
 * the live members of a process group, a process's environment (the run-id marker).
 *
 * Where the facts come from. Deno refuses every read under `/proc` unless the process has
 * `--allow-all` ("Requires all access to /proc/…"), and kron never runs with it, so `/proc` is
 * only a source in tests and embedded apps run with `-A`. Otherwise the process table is read
 * with `ps` (procps) through `Deno.Command`, which kron's `--allow-run` covers:
 *
 * | fact                      | `/proc` readable           | `ps` available                     | neither (e.g. a scratch image) |
 * | ------------------------- | -------------------------- | ---------------------------------- | ------------------------------ |
 * | group empty?              | `kill(-pgid, SIGCONT)` → ESRCH, in every case (a signal, no read needed)                                         ||
 * | group members (no zombie) | scan of `/proc/*\/stat`    | `ps -e -o pid,ppid,pgid,sess,stat,etimes` | unknown: only the signal probe |
 * | start time (ticks)        | `stat` field 22, exact     | uptime − `etimes`, ±1 s            | `null`                         |
 * | run-id marker             | `/proc/<pid>/environ`      | `ps e` (environment after args)    | unknown                        |
 *
 * `ps` is a process of its own (a fork, an exec and a walk of `/proc`: a few ms of CPU), so it
 * is asked in batches: every request made in the same turn of the event loop shares one
 * listing ({@link readProcess}, {@link listGroup}), and the start times of freshly spawned
 * processes are read together, once, a moment after their spawn ({@link whenStillRunning}),
 * only for the processes still running then. A command that exits at once never costs a `ps`.
 *
 * Start times are clock ticks since boot (USER_HZ, 100 on Linux) in both cases, so records
 * written under either source stay comparable; one read through `ps` is precise to about a
 * second, so {@link sameStartTime} then allows {@link PS_START_TOLERANCE_TICKS}.
 *
 * @example
 * ```ts
 * import { processTableKind, readProcess } from "./process_table.ts";
 * console.log(await processTableKind(), (await readProcess(Deno.pid))?.startTime);
 * ```
 * @module
 */

/** The fields of a process kron uses (the names of `/proc/<pid>/stat`). */
export interface ProcStat {
  pid: number;
  /** One-letter state: `R`, `S`, `D`, `Z` (zombie), `T`, `X` (dead), … */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Field 22: start time in clock ticks since boot. Stable for the life of the process. */
  startTime: number;
}

/**
 * Clock ticks per second of `/proc/<pid>/stat` (USER_HZ): 100 on every Linux Deno supports.
 *
 * @example
 * ```ts
 * import { CLOCK_TICKS_PER_SECOND } from "./process_table.ts";
 * const seconds = 250_000 / CLOCK_TICKS_PER_SECOND; // 2500 s after boot
 * ```
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * How far a start time read through `ps` may be from the recorded one and still match: `ps`
 * gives whole elapsed seconds and the uptime is whole seconds too.
 *
 * @example
 * ```ts
 * import { PS_START_TOLERANCE_TICKS } from "./process_table.ts";
 * PS_START_TOLERANCE_TICKS; // 200 (2 s)
 * ```
 */
export const PS_START_TOLERANCE_TICKS = 2 * CLOCK_TICKS_PER_SECOND;

/**
 * How long after its spawn a process must still be running for its start time to be read
 * (through `ps`, see {@link whenStillRunning}).
 *
 * @example
 * ```ts
 * import { SPAWN_FACTS_DELAY_MS } from "./process_table.ts";
 * SPAWN_FACTS_DELAY_MS; // 50
 * ```
 */
export const SPAWN_FACTS_DELAY_MS = 50;

let procOk: boolean | undefined;

/**
 * Whether `/proc` with per-process `stat` files is readable (Linux, and in Deno only with
 * `--allow-all`). Cached.
 *
 * @example
 * ```ts
 * import { procAvailable } from "./process_table.ts";
 * if (!procAvailable()) console.log("no readable /proc: ps is asked instead");
 * ```
 */
export function procAvailable(): boolean {
  if (procOk === undefined) {
    try {
      procOk = parseStat(Deno.readTextFileSync("/proc/self/stat")) !== null;
    } catch {
      procOk = false;
    }
  }
  return procOk;
}

/**
 * Parses one `/proc/<pid>/stat` line; `null` when it is not in the expected shape.
 *
 * @example
 * ```ts
 * import { parseStat } from "./process_table.ts";
 * const s = parseStat("42 (my (odd) name) S 1 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0");
 * console.log(s?.pgrp, s?.startTime); // 42 777
 * ```
 */
export function parseStat(line: string): ProcStat | null {
  // The command name (field 2) is in parentheses and may itself contain spaces and ")", so
  // split after the *last* ")".
  const close = line.lastIndexOf(")");
  if (close < 0) return null;
  const pid = Number.parseInt(line, 10);
  const rest = line.slice(close + 2).split(" ");
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  if (rest.length < 20 || !Number.isInteger(pid)) return null;
  const num = (i: number) => Number(rest[i]);
  const stat = {
    pid,
    state: rest[0],
    ppid: num(1),
    pgrp: num(2),
    session: num(3),
    startTime: num(19),
  };
  return Number.isFinite(stat.pgrp) && Number.isFinite(stat.startTime) ? stat : null;
}

/**
 * Reads `/proc/<pid>/stat`; `null` when the process does not exist or `/proc` is unreadable.
 * Prefer {@link readProcess}, which also asks `ps`.
 *
 * @example
 * ```ts
 * import { readProcStat } from "./process_table.ts";
 * console.log(readProcStat(Deno.pid)?.startTime);
 * ```
 */
export function readProcStat(pid: number): ProcStat | null {
  try {
    return parseStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return null;
  }
}

/**
 * Parses one line of `ps -o pid=,ppid=,pgid=,sess=,stat=,etimes=` into a {@link ProcStat}
 * whose start time is estimated from the elapsed seconds and the system's uptime (seconds).
 *
 * @example
 * ```ts
 * import { parsePsLine } from "./process_table.ts";
 * parsePsLine("  4242     1  4242  4242 Ss       12", 1000)?.startTime; // 98800
 * ```
 */
export function parsePsLine(line: string, uptimeSeconds: number): ProcStat | null {
  const f = line.trim().split(/\s+/);
  if (f.length < 6) return null;
  const [pid, ppid, pgrp, session, , etimes] = f.map(Number);
  if (![pid, ppid, pgrp, session, etimes].every(Number.isInteger)) return null;
  return {
    pid,
    state: f[4][0],
    ppid,
    pgrp,
    session,
    startTime: Math.max(0, Math.round((uptimeSeconds - etimes) * CLOCK_TICKS_PER_SECOND)),
  };
}

/** Where process facts come from: see the module docs. */
export type ProcessTableKind = "proc" | "ps" | "none";

let tableKind: Promise<ProcessTableKind> | undefined;
let tableKindNow: ProcessTableKind | undefined;

/**
 * Which source this process reads process facts from: `"proc"` when `/proc` is readable,
 * else `"ps"` when `ps` runs, else `"none"`. Probed once and cached.
 *
 * @example
 * ```ts
 * import { processTableKind } from "./process_table.ts";
 * console.log(await processTableKind()); // "ps" under kron's own flags
 * ```
 */
export function processTableKind(): Promise<ProcessTableKind> {
  return tableKind ??= (async (): Promise<ProcessTableKind> => {
    const kind = procAvailable()
      ? "proc"
      : (await psLines(["-o", PS_FIELDS, "-p", String(Deno.pid)])) !== null
      ? "ps"
      : "none";
    return tableKindNow = kind;
  })();
}

/**
 * Forces the source of process facts (tests use it to drive the `ps` path under `-A`); `null`
 * goes back to probing.
 *
 * @example
 * ```ts
 * import { useProcessTable } from "./process_table.ts";
 * useProcessTable("ps");
 * // … exercise the ps path …
 * useProcessTable(null);
 * ```
 */
export function useProcessTable(kind: ProcessTableKind | null): void {
  tableKind = kind === null ? undefined : Promise.resolve(kind);
  tableKindNow = kind ?? undefined;
}

const PS_FIELDS = "pid=,ppid=,pgid=,sess=,stat=,etimes=";

/** Runs `ps` with a fixed locale; its stdout lines, or null when ps cannot run or failed. */
async function psLines(args: string[]): Promise<string[] | null> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("ps", {
      args,
      env: { LC_ALL: "C", TZ: "UTC" },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
  } catch {
    return null; // not installed, or not allowed to run
  }
  // Exit 1 with no output means "no such process" for -p: an answer, not a failure.
  if (out.code !== 0 && out.code !== 1) return null;
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.trim() !== "");
}

/** The system's uptime in seconds (needs --allow-sys; 0 when refused, which only skews). */
function uptimeSeconds(): number {
  try {
    return Deno.osUptime();
  } catch {
    return 0;
  }
}

let queuedTable: Promise<ProcStat[] | null> | null = null;

/**
 * The whole process table through one `ps -e`, shared by every caller of the same turn of the
 * event loop. A caller never gets a listing that started before it asked: once the listing of
 * a turn has started, the next caller queues a new one.
 */
function psTable(): Promise<ProcStat[] | null> {
  return queuedTable ??= new Promise((resolve) => {
    setTimeout(() => {
      queuedTable = null;
      psLines(["-e", "-o", PS_FIELDS]).then((lines) => {
        if (lines === null) return resolve(null);
        const uptime = uptimeSeconds();
        resolve(lines.map((l) => parsePsLine(l, uptime)).filter((s): s is ProcStat => s !== null));
      }, () => resolve(null));
    }, 0);
  });
}

/**
 * A process's facts from whichever source is available; `null` when it does not exist or
 * nothing can be read. Through `ps`, calls of the same moment share one listing.
 *
 * @example
 * ```ts
 * import { readProcess } from "./process_table.ts";
 * console.log((await readProcess(Deno.pid))?.startTime);
 * ```
 */
export async function readProcess(pid: number): Promise<ProcStat | null> {
  const kind = await processTableKind();
  if (kind === "proc") return readProcStat(pid);
  if (kind === "none" || !Number.isInteger(pid) || pid <= 0) return null;
  return (await psTable())?.find((s) => s.pid === pid) ?? null;
}

/**
 * A process's start time in clock ticks since boot, for `RUN_SPAWNED`; `null` when unknown.
 *
 * @example
 * ```ts
 * import { processStartTime } from "./process_table.ts";
 * const child = new Deno.Command("sleep", { args: ["1"] }).spawn();
 * console.log(await processStartTime(child.pid));
 * ```
 */
export async function processStartTime(pid: number): Promise<number | null> {
  return (await readProcess(pid))?.startTime ?? null;
}

interface SpawnWatch {
  pid: number;
  exited: boolean;
  onRunning: (startTime: number | null) => void;
}

let spawnBatch: SpawnWatch[] = [];
let spawnTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Calls `onRunning` with the start time of a process that was just spawned (our child, leader
 * of its own group) unless it has exited first (`exited` settled). With `/proc` the start time
 * is read at once and reported in a microtask; without any source `onRunning(null)` is called
 * in a microtask. Through `ps` the
 * processes spawned within {@link SPAWN_FACTS_DELAY_MS} are read together by one `ps -p`, once
 * that delay has passed, and only those still running are asked about: a short command never
 * costs a `ps`, and a long one is known a moment after its start.
 *
 * @example
 * ```ts
 * import { whenStillRunning } from "./process_table.ts";
 * const child = new Deno.Command("sleep", { args: ["1"] }).spawn();
 * whenStillRunning(child.pid, child.status, (t) => console.log("running since", t));
 * ```
 */
export function whenStillRunning(
  pid: number,
  exited: Promise<unknown>,
  onRunning: (startTime: number | null) => void,
): void {
  const kind = tableKindNow;
  // Called back in a microtask, never synchronously: the caller (the engine's run start) may
  // not have recorded the run's start yet.
  if (kind === "proc") {
    const startTime = readProcStat(pid)?.startTime ?? null; // now, while the pid is surely ours
    return queueMicrotask(() => onRunning(startTime));
  }
  if (kind === "none") return queueMicrotask(() => onRunning(null));
  const watch: SpawnWatch = { pid, exited: false, onRunning };
  const done = () => watch.exited = true;
  exited.then(done, done);
  if (kind === undefined) {
    // Not probed yet (the first spawn of this process): probe, then go through the batch.
    processTableKind().then(() => {
      if (!watch.exited) whenStillRunning(pid, exited, onRunning);
    });
    return;
  }
  spawnBatch.push(watch);
  spawnTimer ??= setTimeout(readSpawnBatch, SPAWN_FACTS_DELAY_MS);
}

async function readSpawnBatch(): Promise<void> {
  spawnTimer = undefined;
  const batch = spawnBatch.filter((w) => !w.exited);
  spawnBatch = [];
  if (batch.length === 0) return;
  const lines = await psLines(["-o", PS_FIELDS, "-p", batch.map((w) => w.pid).join(",")]);
  const uptime = uptimeSeconds();
  const rows = new Map<number, ProcStat>();
  for (const line of lines ?? []) {
    const s = parsePsLine(line, uptime);
    if (s) rows.set(s.pid, s);
  }
  for (const w of batch) {
    if (w.exited) continue;
    const row = rows.get(w.pid);
    // Our child leads its own group: a row that does not is not it.
    const startTime = row && row.pgrp === w.pid ? row.startTime : null;
    if (lines !== null && startTime === null) continue; // gone meanwhile
    try {
      w.onRunning(startTime);
    } catch {
      // The callback's own failure is its caller's business (command.ts logs it).
    }
  }
}

/**
 * Whether a start time read now (`observed`) is the one recorded at spawn: equal when read
 * from `/proc`, within {@link PS_START_TOLERANCE_TICKS} when read through `ps`.
 *
 * @example
 * ```ts
 * import { sameStartTime } from "./process_table.ts";
 * sameStartTime(1000, 1000, "proc"); // true
 * sameStartTime(1000, 1100, "ps"); // true
 * sameStartTime(1000, 1001, "proc"); // false
 * ```
 */
export function sameStartTime(
  recorded: number,
  observed: number,
  kind: ProcessTableKind,
): boolean {
  return kind === "ps"
    ? Math.abs(recorded - observed) <= PS_START_TOLERANCE_TICKS
    : recorded === observed;
}

/**
 * Whether a process is alive: a zombie has exited, it only waits to be reaped and can neither
 * run nor be killed.
 *
 * @example
 * ```ts
 * import { isLive, readProcStat } from "./process_table.ts";
 * isLive(readProcStat(Deno.pid)!); // true
 * ```
 */
export function isLive(s: ProcStat): boolean {
  return s.state !== "Z" && s.state !== "X" && s.state !== "x";
}

/**
 * The live (non-zombie) processes whose process group is `pgid`, from a scan of `/proc` or
 * one `ps -e` shared with the other callers of the moment; `null` when neither is available
 * (membership unknown).
 *
 * @example
 * ```ts
 * import { listGroup } from "./process_table.ts";
 * const members = await listGroup(4242);
 * console.log(members?.map((m) => m.pid));
 * ```
 */
export async function listGroup(pgid: number): Promise<ProcStat[] | null> {
  const kind = await processTableKind();
  if (kind === "none") return null;
  if (kind === "ps") {
    const table = await psTable();
    return table?.filter((s) => s.pgrp === pgid && isLive(s)) ?? null;
  }
  const members: ProcStat[] = [];
  // Synchronous on purpose: each read takes microseconds, while an async op per process made a
  // scan of a few hundred processes take milliseconds.
  for (const entry of Deno.readDirSync("/proc")) {
    const c = entry.name.charCodeAt(0);
    if (c < 48 || c > 57) continue; // only numeric entries are processes
    let text: string;
    try {
      text = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
    } catch {
      continue; // exited while we scanned
    }
    const s = parseStat(text);
    if (s && s.pgrp === pgid && isLive(s)) members.push(s);
  }
  return members;
}

/**
 * The entries of a process's initial environment; empty when unreadable. Through `ps e` the
 * environment follows the arguments, separated by spaces, so the words are returned: enough to
 * find a `KRON_RUN_ID=<ulid>` entry, whose value has no spaces.
 *
 * @example
 * ```ts
 * import { readEnviron } from "./process_table.ts";
 * (await readEnviron(Deno.pid)).some((e) => e.startsWith("PATH="));
 * ```
 */
export async function readEnviron(pid: number): Promise<string[]> {
  return (await environOf(pid)) ?? [];
}

let queuedEnvirons: Promise<Map<number, string[]> | null> | null = null;

/** Every process's environment words through one `ps e -e`, shared by the callers of a turn. */
function environTable(): Promise<Map<number, string[]> | null> {
  return queuedEnvirons ??= new Promise((resolve) => {
    setTimeout(() => {
      queuedEnvirons = null;
      psLines(["-e", "e", "-ww", "-o", "pid=,args="]).then((lines) => {
        if (lines === null) return resolve(null);
        const table = new Map<number, string[]>();
        for (const line of lines) {
          const words = line.trim().split(/\s+/);
          const pid = Number.parseInt(words[0], 10);
          if (Number.isInteger(pid)) table.set(pid, words.slice(1));
        }
        resolve(table);
      }, () => resolve(null));
    }, 0);
  });
}

/**
 * The live processes whose initial environment holds `entry` (say `KRON_RUN_ID=<ulid>`): how a
 * run's processes are found when no `RUN_SPAWNED` recorded its group (kron died within the
 * first moments of the run). Calls of the same turn share one listing.
 *
 * @example
 * ```ts
 * import { processesWithEnviron } from "./process_table.ts";
 * await processesWithEnviron("KRON_RUN_ID=01J0000000000000000000000"); // []
 * ```
 */
export async function processesWithEnviron(entry: string): Promise<number[]> {
  const kind = await processTableKind();
  if (kind === "none") return [];
  const pids: number[] = [];
  if (kind === "proc") {
    for (const e of Deno.readDirSync("/proc")) {
      const pid = Number(e.name);
      if (!Number.isInteger(pid) || pid === Deno.pid) continue;
      try {
        if (Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0").includes(entry)) {
          pids.push(pid);
        }
      } catch {
        // Exited meanwhile, or not ours to read.
      }
    }
    return pids;
  }
  for (const [pid, words] of (await environTable()) ?? []) {
    if (pid !== Deno.pid && words.includes(entry)) pids.push(pid);
  }
  return pids;
}

async function environOf(pid: number): Promise<string[] | null> {
  const kind = await processTableKind();
  if (kind === "proc") {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0");
    } catch {
      return [];
    }
  }
  if (kind === "none") return [];
  const lines = await psLines(["e", "-ww", "-o", "pid=,args=", "-p", String(pid)]);
  const line = lines?.find((l) => Number.parseInt(l.trim(), 10) === pid);
  return line ? line.trim().split(/\s+/).slice(1) : [];
}
