/**
 * Process-group control for command jobs: stopping a group (SIGTERM, grace, SIGKILL), and
 * stopping a group left over by a kron that crashed, without ever signalling a stranger. The
 * facts it relies on (start times, group members, environments) come from process_table.ts,
 * re-exported here.
 *
 * The conservative behaviour without a process table (neither `/proc` nor `ps`): start times
 * are `null`, so a leftover tree found after a crash is `"unverified"` and never signalled (a
 * bare pid proves nothing); a group is stopped while any member answers the signal probe, and a
 * group that only holds unreaped zombies (kron as PID 1 of a container without `--init`) is
 * given SIGKILL after the grace and then left, since zombies cannot be waited for. In a
 * container, kron's crash ends the container and every process in it, which is why the scratch
 * image needs no `ps`. A pid reused within two seconds of the original's start *and* leading
 * the same group is not a practical risk.
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
import {
  isLive,
  listGroup,
  processesWithEnviron,
  processTableKind,
  type ProcStat,
  readEnviron,
  readProcess,
  sameStartTime,
} from "./process_table.ts";
import { sleep } from "../sleep.ts";

export {
  CLOCK_TICKS_PER_SECOND,
  isLive,
  listGroup,
  parsePsLine,
  parseStat,
  procAvailable,
  processStartTime,
  processTableKind,
  PS_START_TOLERANCE_TICKS,
  readProcess,
  readProcStat,
  sameStartTime,
  SPAWN_FACTS_DELAY_MS,
  useProcessTable,
  whenStillRunning,
} from "./process_table.ts";
export type { ProcessTableKind, ProcStat } from "./process_table.ts";

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
  /**
   * Longest wait between two checks while waiting for the group to go (default 100 ms). Checks
   * start at once and back off from 1 ms, doubling: a group that goes quickly is seen going
   * quickly, and a slow one costs a few probes a second.
   */
  maxPollMs?: number;
}

/** Default of {@link TerminateOptions.maxPollMs}. */
const MAX_POLL_MS = 100;
/** A process listing through `ps` is a process of its own: at most this often per group. */
const PS_LIST_EVERY_MS = 100;
/**
 * How long the signal probe may keep finding members before a listing is asked whether they
 * are only zombies (a member that exited after the leader is reaped by its new parent within
 * a few ms).
 */
const ZOMBIE_PATIENCE_MS = 8;

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
  const maxPollMs = options.maxPollMs ?? MAX_POLL_MS;
  if (!signalGroup(pgid, "SIGTERM")) return "gone";
  const deadline = Date.now() + options.graceMs;
  if (await waitGroupGone(pgid, deadline, maxPollMs, options.leaderExited)) return "terminated";
  if (!signalGroup(pgid, "SIGKILL")) return "terminated"; // vanished between check and kill
  // SIGKILL cannot be ignored; wait briefly so callers see an empty group afterwards.
  await waitGroupGone(pgid, Date.now() + 2000, maxPollMs, options.leaderExited);
  return "killed";
}

/** True once no live member of `pgid` remains; false if `deadline` passes first. */
async function waitGroupGone(
  pgid: number,
  deadline: number,
  maxPollMs: number,
  leaderExited?: Promise<unknown>,
): Promise<boolean> {
  if (leaderExited) {
    // While our child (the leader) runs, the group exists: just wait for it to exit.
    const exited = await raceTimeout(leaderExited.then(() => true, () => true), deadline);
    if (!exited) return false;
  }
  return await groupGone(pgid, deadline, maxPollMs);
}

/**
 * Waits until process group `pgid` has no live member: true then, false once `deadline`
 * (epoch ms) passes first. Checks start at once and back off (1, 2, 4 … `maxPollMs` ms); each
 * is a signal probe (no process table read), and only a probe that keeps finding members for
 * a few ms is followed by a listing, which tells live members from zombies (through `ps` at
 * most every 100 ms, shared with the other callers of the moment).
 *
 * @example
 * ```ts
 * import { groupGone } from "./process_tree.ts";
 * if (await groupGone(4242, Date.now() + 20)) console.log("nothing left of group 4242");
 * ```
 */
export async function groupGone(
  pgid: number,
  deadline: number,
  maxPollMs = MAX_POLL_MS,
): Promise<boolean> {
  const kind = await processTableKind();
  const start = Date.now();
  let listedAt = -Infinity;
  let wait = 1;
  for (;;) {
    if (!groupExists(pgid)) return true;
    // The probe counts zombies (exited, not yet reaped by their new parent): a listing, when
    // there is one, tells whether anything alive is left.
    const now = Date.now();
    if (
      kind !== "none" && now - start >= ZOMBIE_PATIENCE_MS &&
      now - listedAt >= (kind === "ps" ? PS_LIST_EVERY_MS : 0)
    ) {
      listedAt = now;
      const members = await listGroup(pgid);
      if (members !== null && members.length === 0) return true;
    }
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(wait, Math.max(1, deadline - Date.now())));
    wait = Math.min(wait * 2, maxPollMs);
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
 * Stops the processes of a run that left no `RUN_SPAWNED` (kron died before it recorded the
 * group): found by the `KRON_RUN_ID=<runId>` marker every command run's environment carries,
 * which is proof (run ids are unique), then SIGTERM, SIGKILL after the grace. Processes that
 * scrubbed their environment are left alone. `"gone"` when none carries it, `"unverified"` when
 * no process table can be read.
 *
 * @example
 * ```ts
 * import { killMarkedLeftovers } from "./process_tree.ts";
 * await killMarkedLeftovers("01J0000000000000000000000"); // "gone"
 * ```
 */
export async function killMarkedLeftovers(
  runId: string,
  options: LeftoverOptions = {},
): Promise<LeftoverResult> {
  if ((await processTableKind()) === "none") return "unverified";
  const pids = await processesWithEnviron(`KRON_RUN_ID=${runId}`);
  if (pids.length === 0) return "gone";
  await terminateProcesses(pids, options.graceMs ?? 2000);
  return "killed";
}

/** SIGTERM each pid, SIGKILL those still alive after the grace; pids are checked first. */
async function terminateProcesses(pids: number[], graceMs: number): Promise<void> {
  const kind = await processTableKind();
  // Remember start times so a pid reused during the grace is not SIGKILLed. Each round reads
  // every pid at once: through ps, one listing.
  const started = new Map<number, number>();
  const facts = await Promise.all(pids.map(readProcess));
  for (const s of facts) {
    if (s && isLive(s)) {
      started.set(s.pid, s.startTime);
      trySignal(s.pid, "SIGTERM");
    }
  }
  const alive = async () => {
    const now = await Promise.all([...started.keys()].map(readProcess));
    return now.filter((s): s is ProcStat =>
      s !== null && isLive(s) && sameStartTime(started.get(s.pid)!, s.startTime, kind)
    ).map((s) => s.pid);
  };
  const deadline = Date.now() + graceMs;
  let wait = 1;
  while ((await alive()).length > 0 && Date.now() < deadline) {
    await sleep(wait);
    wait = Math.min(wait * 2, MAX_POLL_MS);
  }
  for (const pid of await alive()) trySignal(pid, "SIGKILL");
}

function trySignal(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch {
    // Already gone (ESRCH) or not ours (EPERM): nothing more to do for this pid.
  }
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
