/**
 * Process-group helpers for command jobs: a process's start time (the pid-reuse guard), the live
 * members of a process group, stopping a group (SIGTERM, grace, SIGKILL) and stopping a group
 * left over by a kron that crashed.
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
 * Start times are clock ticks since boot (USER_HZ, 100 on Linux) in both cases, so records
 * written under either source stay comparable; one read through `ps` is precise to about a
 * second, so {@link sameStartTime} then allows {@link PS_START_TOLERANCE_TICKS}. A pid reused
 * within two seconds of the original's start *and* leading the same group is not a practical
 * risk.
 *
 * The conservative behaviour without either source: start times are `null`, so a leftover
 * tree found after a crash is `"unverified"` and never signalled (a bare pid proves nothing);
 * a group is stopped while any member answers the signal probe, and a group that only holds
 * unreaped zombies (kron as PID 1 of a container without `--init`) is given SIGKILL after
 * the grace and then left, since zombies cannot be waited for. In a container, kron's crash
 * ends the container and every process in it, which is why the scratch image needs no `ps`.
 *
 * @example
 * ```ts
 * import { killLeftoverGroup } from "./process_tree.ts";
 * // From a RUN_SPAWNED event found unfinished at startup:
 * const what = await killLeftoverGroup({ pid: 4242, pgid: 4242, startTime: 123456 });
 * console.log(what); // "killed" | "gone" | "reused" | "unverified"
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

/** A process group kron spawned, as recorded by `RUN_SPAWNED`. */
export interface SpawnedGroup {
  pid: number;
  pgid: number;
  /** Start time in clock ticks since boot at spawn time; `null` when it was unknown. */
  startTime: number | null;
  /**
   * The run id the child was started with (`KRON_RUN_ID` in its environment). When given, it
   * lets {@link killLeftoverGroup} stop survivors of a group whose leader is gone.
   */
  runId?: string;
}

/** What {@link killLeftoverGroup} did. */
export type LeftoverResult = "killed" | "gone" | "reused" | "unverified";

/**
 * Clock ticks per second of `/proc/<pid>/stat` (USER_HZ): 100 on every Linux Deno supports.
 *
 * @example
 * ```ts
 * import { CLOCK_TICKS_PER_SECOND } from "./process_tree.ts";
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
 * import { PS_START_TOLERANCE_TICKS } from "./process_tree.ts";
 * PS_START_TOLERANCE_TICKS; // 200 (2 s)
 * ```
 */
export const PS_START_TOLERANCE_TICKS = 2 * CLOCK_TICKS_PER_SECOND;

let procOk: boolean | undefined;

/**
 * Whether `/proc` with per-process `stat` files is readable (Linux, and in Deno only with
 * `--allow-all`). Cached.
 *
 * @example
 * ```ts
 * import { procAvailable } from "./process_tree.ts";
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
 * import { parseStat } from "./process_tree.ts";
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
 * import { readProcStat } from "./process_tree.ts";
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
 * import { parsePsLine } from "./process_tree.ts";
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

/**
 * Which source this process reads process facts from: `"proc"` when `/proc` is readable,
 * else `"ps"` when `ps` runs, else `"none"`. Probed once and cached.
 *
 * @example
 * ```ts
 * import { processTableKind } from "./process_tree.ts";
 * console.log(await processTableKind()); // "ps" under kron's own flags
 * ```
 */
export function processTableKind(): Promise<ProcessTableKind> {
  return tableKind ??= (async (): Promise<ProcessTableKind> => {
    if (procAvailable()) return "proc";
    return (await psLines(["-o", PS_FIELDS, "-p", String(Deno.pid)])) !== null ? "ps" : "none";
  })();
}

/**
 * Forces the source of process facts (tests use it to drive the `ps` path under `-A`); `null`
 * goes back to probing.
 *
 * @example
 * ```ts
 * import { useProcessTable } from "./process_tree.ts";
 * useProcessTable("ps");
 * // … exercise the ps path …
 * useProcessTable(null);
 * ```
 */
export function useProcessTable(kind: ProcessTableKind | null): void {
  tableKind = kind === null ? undefined : Promise.resolve(kind);
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

/**
 * A process's facts from whichever source is available; `null` when it does not exist or
 * nothing can be read.
 *
 * @example
 * ```ts
 * import { readProcess } from "./process_tree.ts";
 * console.log((await readProcess(Deno.pid))?.startTime);
 * ```
 */
export async function readProcess(pid: number): Promise<ProcStat | null> {
  const kind = await processTableKind();
  if (kind === "proc") return readProcStat(pid);
  if (kind === "none" || !Number.isInteger(pid) || pid <= 0) return null;
  const lines = await psLines(["-o", PS_FIELDS, "-p", String(pid)]);
  const uptime = uptimeSeconds();
  return lines?.map((l) => parsePsLine(l, uptime)).find((s) => s?.pid === pid) ?? null;
}

/**
 * A process's start time in clock ticks since boot, for `RUN_SPAWNED`; `null` when unknown.
 *
 * @example
 * ```ts
 * import { processStartTime } from "./process_tree.ts";
 * const child = new Deno.Command("sleep", { args: ["1"] }).spawn();
 * console.log(await processStartTime(child.pid));
 * ```
 */
export async function processStartTime(pid: number): Promise<number | null> {
  return (await readProcess(pid))?.startTime ?? null;
}

/**
 * Whether a start time read now (`observed`) is the one recorded at spawn: equal when read
 * from `/proc`, within {@link PS_START_TOLERANCE_TICKS} when read through `ps`.
 *
 * @example
 * ```ts
 * import { sameStartTime } from "./process_tree.ts";
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

/** A zombie has exited; it only waits to be reaped and can neither run nor be killed. */
function isLive(s: ProcStat): boolean {
  return s.state !== "Z" && s.state !== "X" && s.state !== "x";
}

/**
 * The live (non-zombie) processes whose process group is `pgid`, from a scan of `/proc` or
 * one `ps -e`; `null` when neither is available (membership unknown).
 *
 * @example
 * ```ts
 * import { listGroup } from "./process_tree.ts";
 * const members = await listGroup(4242);
 * console.log(members?.map((m) => m.pid));
 * ```
 */
export async function listGroup(pgid: number): Promise<ProcStat[] | null> {
  const kind = await processTableKind();
  if (kind === "none") return null;
  if (kind === "ps") {
    const lines = await psLines(["-e", "-o", PS_FIELDS]);
    if (lines === null) return null;
    const uptime = uptimeSeconds();
    return lines.map((l) => parsePsLine(l, uptime)).filter((s): s is ProcStat =>
      s !== null && s.pgrp === pgid && isLive(s)
    );
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
 * Whether process group `pgid` has any member, zombies included, asked of the kernel with a
 * harmless SIGCONT (ESRCH = empty). Needs no read permission, so it works under any flags.
 * SIGCONT only resumes a stopped process, which matters nowhere this is used: the group is
 * about to be stopped for good.
 *
 * @example
 * ```ts
 * import { groupExists } from "./process_tree.ts";
 * if (!groupExists(4242)) console.log("nothing left of group 4242");
 * ```
 */
export function groupExists(pgid: number): boolean {
  try {
    return signalGroup(pgid, "SIGCONT");
  } catch (e) {
    // EPERM: someone else's processes hold the id, so it exists (and is not ours).
    if (e instanceof Deno.errors.PermissionDenied) return true;
    throw e;
  }
}

/**
 * Sends `signal` to every process of group `pgid`. Returns `false` when the group no longer
 * exists (ESRCH); other errors (e.g. EPERM) are thrown.
 *
 * @example
 * ```ts
 * import { signalGroup } from "./process_tree.ts";
 * signalGroup(4242, "SIGTERM");
 * ```
 */
export function signalGroup(pgid: number, signal: Deno.Signal): boolean {
  // A pgid <= 1 would address "every process we may signal" or our own group: never.
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`refusing to signal group ${pgid}`);
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** How a group stopped under {@link terminateGroup}. */
export type TerminateResult = "gone" | "terminated" | "killed";

/** Options of {@link terminateGroup}. */
export interface TerminateOptions {
  /** How long the group gets between SIGTERM and SIGKILL. */
  graceMs: number;
  /**
   * Settles when the leader has exited and been reaped, when the leader is our own child.
   * While it is pending the group is known to be alive, which spares probing it.
   */
  leaderExited?: Promise<unknown>;
  /** Poll interval while waiting for the group to go (default 50 ms; at least 100 via ps). */
  pollMs?: number;
}

/**
 * Stops a whole process group: SIGTERM to the group, then SIGKILL to the group once `graceMs`
 * has passed if any member (not only the leader: a grandchild may outlive it) is still alive.
 * Resolves when the group is gone, or shortly after SIGKILL (a process stuck in
 * uninterruptible sleep cannot be waited for). Returns `"gone"` when there was nothing to
 * signal, `"terminated"` when SIGTERM sufficed, `"killed"` when SIGKILL was sent.
 *
 * "Gone" is the kernel's answer to a signal probe (ESRCH), or, while the probe still finds
 * members, a listing (`/proc` or `ps`) in which only zombies are left. Without a listing a
 * group of unreaped zombies counts as alive until SIGKILL (see the module docs).
 *
 * @example
 * ```ts
 * import { terminateGroup } from "./process_tree.ts";
 * const how = await terminateGroup(4242, { graceMs: 5000 });
 * console.log(how); // "terminated" | "killed" | "gone"
 * ```
 */
export async function terminateGroup(
  pgid: number,
  options: TerminateOptions,
): Promise<TerminateResult> {
  const kind = await processTableKind();
  const pollMs = Math.max(options.pollMs ?? 50, kind === "ps" ? 100 : 0);
  if (!signalGroup(pgid, "SIGTERM")) return "gone";
  const deadline = Date.now() + options.graceMs;
  if (await waitGroupGone(pgid, deadline, pollMs, options.leaderExited)) return "terminated";
  if (!signalGroup(pgid, "SIGKILL")) return "terminated"; // vanished between check and kill
  // SIGKILL cannot be ignored; wait briefly so callers see an empty group afterwards.
  await waitGroupGone(pgid, Date.now() + 2000, pollMs, options.leaderExited);
  return "killed";
}

/** True once no live member of `pgid` remains; false if `deadline` passes first. */
async function waitGroupGone(
  pgid: number,
  deadline: number,
  pollMs: number,
  leaderExited?: Promise<unknown>,
): Promise<boolean> {
  if (leaderExited) {
    // While our child (the leader) runs, the group exists: just wait for it to exit.
    const exited = await raceTimeout(leaderExited.then(() => true, () => true), deadline);
    if (!exited) return false;
  }
  for (;;) {
    if (!groupExists(pgid)) return true;
    // The probe counts zombies (exited, not yet reaped by their new parent): a listing, when
    // there is one, tells whether anything alive is left.
    const members = await listGroup(pgid);
    if (members !== null && members.length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())));
  }
}

/** Options of {@link killLeftoverGroup}. */
export interface LeftoverOptions {
  /** Grace between SIGTERM and SIGKILL (default 2000 ms). */
  graceMs?: number;
}

/**
 * Stops a process tree left over by a kron that crashed, without ever signalling a stranger.
 *
 * - Leader present and its start time matches `startTime` ({@link sameStartTime}): it is
 *   provably ours, and so is its group (a process, even an unreaped zombie, keeps its pid and
 *   hence its group id from being reused). SIGTERM the group, SIGKILL after the grace →
 *   `"killed"` (`"gone"` if the leader is a zombie with no live member left).
 * - Leader present with another start time → the pid was reused: nothing is signalled,
 *   `"reused"`.
 * - Leader gone → `"gone"`. Members of the group may survive it (a backgrounded
 *   grandchild), but a bare pgid proves nothing: once the whole group died the number could be
 *   reused by an unrelated group, and start times are no help across a reboot. Survivors are
 *   therefore only killed (one by one, SIGTERM then SIGKILL) when `runId` is given and the
 *   survivor's environment (`/proc/<pid>/environ`, or `ps e`) carries `KRON_RUN_ID=<runId>`:
 *   run ids are unique, so that marker is proof. Then the result is `"killed"`. Survivors that
 *   scrubbed their environment are left alone.
 * - `startTime` is `null` (the leader exited before it could be read): the leader proves
 *   nothing, so only processes of the group carrying the run-id marker are stopped, as above.
 * - `startTime` is `null` and no `runId` is given, neither `/proc` nor `ps` is available, or
 *   pid/pgid is not a plausible number (> 1) → nothing can be proven: `"unverified"`, nothing
 *   signalled.
 *
 * @example
 * ```ts
 * import { killLeftoverGroup } from "./process_tree.ts";
 * const r = await killLeftoverGroup({ pid: 4242, pgid: 4242, startTime: 99, runId: "01J…" });
 * if (r === "reused") console.log("pid 4242 now belongs to another process; left alone");
 * ```
 */
export async function killLeftoverGroup(
  group: SpawnedGroup,
  options: LeftoverOptions = {},
): Promise<LeftoverResult> {
  const graceMs = options.graceMs ?? 2000;
  const kind = await processTableKind();
  if (kind === "none") return "unverified";
  // Never act on nonsense ids: pid 1 is init and group 0/1 would reach far more than ours.
  if (
    !(Number.isInteger(group.pid) && group.pid > 1 && Number.isInteger(group.pgid) &&
      group.pgid > 1)
  ) {
    return "unverified";
  }
  // Without a start time the leader proves nothing; the run-id marker still can.
  if (group.startTime === null && group.runId === undefined) return "unverified";
  const leader = group.startTime === null ? null : await readProcess(group.pid);
  if (leader && group.startTime !== null) {
    if (!sameStartTime(group.startTime, leader.startTime, kind)) return "reused";
    // Same pid and start time: our leader. Even as an unreaped zombie it still holds its pid,
    // so the group id cannot have been reused and every member of the group is ours.
    if (!isLive(leader) && ((await listGroup(group.pgid)) ?? []).length === 0) return "gone";
    // The leader could only leave its group by becoming a session leader (setsid): signal it
    // directly as well, then the recorded group.
    if (isLive(leader) && leader.pgrp !== group.pgid) {
      await terminateProcesses([group.pid], graceMs);
    }
    await terminateGroup(group.pgid, { graceMs });
    return "killed";
  }
  if (group.runId === undefined) return "gone";
  // (With a null start time the leader itself, if alive, is found here by its marker.)
  const marker = `KRON_RUN_ID=${group.runId}`;
  const survivors: number[] = [];
  for (const m of (await listGroup(group.pgid)) ?? []) {
    if ((await readEnviron(m.pid)).includes(marker)) survivors.push(m.pid);
  }
  if (survivors.length === 0) return "gone";
  await terminateProcesses(survivors, graceMs);
  return "killed";
}

/**
 * The entries of a process's initial environment; empty when unreadable. Through `ps e` the
 * environment follows the arguments, separated by spaces, so the words are returned: enough to
 * find a `KRON_RUN_ID=<ulid>` entry, whose value has no spaces.
 */
async function readEnviron(pid: number): Promise<string[]> {
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

/** SIGTERM each pid, SIGKILL those still alive after the grace; pids are checked first. */
async function terminateProcesses(pids: number[], graceMs: number): Promise<void> {
  const kind = await processTableKind();
  // Remember start times so a pid reused during the grace is not SIGKILLed.
  const started = new Map<number, number>();
  for (const pid of pids) {
    const s = await readProcess(pid);
    if (s && isLive(s)) {
      started.set(pid, s.startTime);
      trySignal(pid, "SIGTERM");
    }
  }
  const alive = async () => {
    const out: number[] = [];
    for (const [pid, t] of started) {
      const s = await readProcess(pid);
      if (s !== null && isLive(s) && sameStartTime(t, s.startTime, kind)) out.push(pid);
    }
    return out;
  };
  const deadline = Date.now() + graceMs;
  while ((await alive()).length > 0 && Date.now() < deadline) await sleep(50);
  for (const pid of await alive()) trySignal(pid, "SIGKILL");
}

function trySignal(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch {
    // Already gone (ESRCH) or not ours (EPERM): nothing more to do for this pid.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves to the promise's value, or `false` once `deadline` (epoch ms) passes. */
async function raceTimeout(p: Promise<boolean>, deadline: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
