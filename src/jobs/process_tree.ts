/**
 * Process-group helpers for command jobs: read `/proc/<pid>/stat`, find the live members of a
 * process group, stop a group (SIGTERM, grace, SIGKILL) and stop a group left over by a kron
 * that crashed.
 *
 * Linux-specific where it matters: without `/proc` the helpers degrade (start times are `null`,
 * group membership is unknown) rather than guess.
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

/** The fields of `/proc/<pid>/stat` kron uses. */
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
  /** `/proc/<pid>/stat` field 22 at spawn time; `null` when `/proc` was unavailable. */
  startTime: number | null;
  /**
   * The run id the child was started with (`KRON_RUN_ID` in its environment). When given, it
   * lets {@link killLeftoverGroup} stop survivors of a group whose leader is gone.
   */
  runId?: string;
}

/** What {@link killLeftoverGroup} did. */
export type LeftoverResult = "killed" | "gone" | "reused" | "unverified";

let procOk: boolean | undefined;

/**
 * Whether `/proc` with per-process `stat` files is available (Linux). Cached.
 *
 * @example
 * ```ts
 * import { procAvailable } from "./process_tree.ts";
 * if (!procAvailable()) console.log("no /proc: pid-reuse checks are off");
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
 * Reads `/proc/<pid>/stat`; `null` when the process does not exist or `/proc` is unavailable.
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

/** A zombie has exited; it only waits to be reaped and can neither run nor be killed. */
function isLive(s: ProcStat): boolean {
  return s.state !== "Z" && s.state !== "X" && s.state !== "x";
}

/**
 * The live (non-zombie) processes whose process group is `pgid`, found by scanning
 * `/proc/*\/stat`; `null` when `/proc` is unavailable (membership unknown).
 *
 * @example
 * ```ts
 * import { listGroup } from "./process_tree.ts";
 * const members = await listGroup(4242);
 * console.log(members?.map((m) => m.pid));
 * ```
 */
export function listGroup(pgid: number): Promise<ProcStat[] | null> {
  if (!procAvailable()) return Promise.resolve(null);
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
  return Promise.resolve(members);
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
   * While it is pending the group is known to be alive, which spares a `/proc` scan.
   */
  leaderExited?: Promise<unknown>;
  /** Poll interval of the `/proc` scan (default 50 ms). */
  pollMs?: number;
}

/**
 * Stops a whole process group: SIGTERM to the group, then SIGKILL to the group once `graceMs`
 * has passed if any member (not only the leader: a grandchild may outlive it) is still alive.
 * Resolves when the group is gone, or shortly after SIGKILL (a process stuck in
 * uninterruptible sleep cannot be waited for). Returns `"gone"` when there was nothing to
 * signal, `"terminated"` when SIGTERM sufficed, `"killed"` when SIGKILL was sent.
 *
 * Without `/proc` membership is unknown: the group gets SIGKILL after the grace unless the
 * leader exited, and no group lookup is possible (ESRCH from the kernel is the only answer).
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
  const pollMs = options.pollMs ?? 50;
  if (!signalGroup(pgid, "SIGTERM")) return "gone";
  const deadline = Date.now() + options.graceMs;
  if (await waitGroupGone(pgid, deadline, pollMs, options.leaderExited)) return "terminated";
  if (!signalGroup(pgid, "SIGKILL")) return "terminated"; // vanished between check and kill
  // SIGKILL cannot be ignored; wait briefly so callers see a clean /proc afterwards.
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
    const members = await listGroup(pgid);
    // Unknown membership: trust the leader's exit if we had one to watch, else assume alive.
    if (members === null) return leaderExited !== undefined;
    if (members.length === 0) return true;
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
 * - Leader present and its `/proc` start time equals `startTime`: it is provably ours, and so
 *   is its group (a process, even an unreaped zombie, keeps its pid and hence its group id from
 *   being reused). SIGTERM the group, SIGKILL after the grace → `"killed"` (`"gone"` if the
 *   leader is a zombie with no live member left).
 * - Leader present with another start time → the pid was reused: nothing is signalled,
 *   `"reused"`.
 * - Leader gone → `"gone"`. Members of the group may survive it (a backgrounded
 *   grandchild), but a bare pgid proves nothing: once the whole group died the number could be
 *   reused by an unrelated group, and start times are no help across a reboot. Survivors are
 *   therefore only killed (one by one, SIGTERM then SIGKILL) when `runId` is given and the
 *   survivor's `/proc/<pid>/environ` carries `KRON_RUN_ID=<runId>`: run ids are unique, so
 *   that marker is proof. Then the result is `"killed"`. Survivors that scrubbed their
 *   environment are left alone.
 * - `startTime` is `null`, `/proc` is unavailable, or pid/pgid is not a plausible number (> 1)
 *   → nothing can be proven: `"unverified"`, nothing signalled.
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
  if (group.startTime === null || !procAvailable()) return "unverified";
  // Never act on nonsense ids: pid 1 is init and group 0/1 would reach far more than ours.
  if (
    !(Number.isInteger(group.pid) && group.pid > 1 && Number.isInteger(group.pgid) &&
      group.pgid > 1)
  ) {
    return "unverified";
  }
  const leader = readProcStat(group.pid);
  if (leader) {
    if (leader.startTime !== group.startTime) return "reused";
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
  const marker = `KRON_RUN_ID=${group.runId}`;
  const survivors = ((await listGroup(group.pgid)) ?? [])
    .filter((m) => readEnviron(m.pid).includes(marker))
    .map((m) => m.pid);
  if (survivors.length === 0) return "gone";
  await terminateProcesses(survivors, graceMs);
  return "killed";
}

/** The NUL-separated entries of a process's initial environment; empty when unreadable. */
function readEnviron(pid: number): string[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0");
  } catch {
    return [];
  }
}

/** SIGTERM each pid, SIGKILL those still alive after the grace; pids are checked first. */
async function terminateProcesses(pids: number[], graceMs: number): Promise<void> {
  // Remember start times so a pid reused during the grace is not SIGKILLed.
  const started = new Map<number, number>();
  for (const pid of pids) {
    const s = readProcStat(pid);
    if (s && isLive(s)) {
      started.set(pid, s.startTime);
      trySignal(pid, "SIGTERM");
    }
  }
  const alive = () =>
    [...started].filter(([pid, t]) => {
      const s = readProcStat(pid);
      return s !== null && isLive(s) && s.startTime === t;
    }).map(([pid]) => pid);
  const deadline = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < deadline) await sleep(50);
  for (const pid of alive()) trySignal(pid, "SIGKILL");
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
