/**
 * Independent views of the process table for tests (they run with `-A`, so `/proc` is
 * readable): what kron's own process_table.ts reports is checked against these.
 *
 * @example
 * ```ts
 * import { groupMembers } from "./proc.ts";
 * groupMembers(Deno.pid); // live members of a process group
 * ```
 * @module
 */

/** A process as the scan sees it. */
interface Seen {
  pid: number;
  state: string;
  pgid: number;
}

function scan(keep: (p: Seen) => boolean): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const p = { pid: Number(e.name), state: f[0], pgid: Number(f[2]) };
      if (p.state !== "Z" && keep(p)) pids.push(p.pid);
    } catch {
      // exited while we scanned
    }
  }
  return pids.sort((a, b) => a - b);
}

/**
 * Live (non-zombie) pids of a process group, ascending.
 *
 * @example
 * ```ts
 * import { groupMembers } from "./proc.ts";
 * groupMembers(4242); // [] once the group is gone
 * ```
 */
export function groupMembers(pgid: number): number[] {
  return scan((p) => p.pgid === pgid);
}

/**
 * Live (non-zombie) pids whose command line contains `part`, ascending.
 *
 * @example
 * ```ts
 * import { withCommandLine } from "./proc.ts";
 * withCommandLine("sleep 31.4159"); // the background children a test left, if any
 * ```
 */
export function withCommandLine(part: string): number[] {
  return scan((p) => {
    try {
      return Deno.readTextFileSync(`/proc/${p.pid}/cmdline`).replaceAll("\0", " ").includes(part);
    } catch {
      return false;
    }
  });
}
