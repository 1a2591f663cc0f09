/**
 * The data dir's writer lock: an exclusive advisory lock (flock) on `LOCK`, held for the life of
 * the process, with the holder's pid written inside so that the loser can say who holds it.
 * The file is never deleted: removing a lock file while others may open it races.
 *
 * @example
 * ```ts
 * import { acquireLock } from "./_lock.ts";
 * const lock = await acquireLock(Deno.makeTempDirSync());
 * lock.release();
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import { absolute, ioError, join } from "./_fs.ts";

/**
 * A held lock.
 *
 * @example
 * ```ts
 * const lock = await acquireLock(".kron");
 * lock.release();
 * ```
 */
export interface DataDirLock {
  /** Path of the LOCK file. */
  readonly path: string;
  /** Unlocks and closes (idempotent). */
  release(): void;
}

/**
 * Takes the exclusive lock on `<root>/LOCK` or fails at once with `KronError("locked")`:
 * `data dir /abs/.kron is locked by pid 1234 (another kron runtime is using it)`.
 *
 * @example
 * ```ts
 * import { acquireLock } from "./_lock.ts";
 * const dir = Deno.makeTempDirSync();
 * const a = await acquireLock(dir);
 * await acquireLock(dir).catch((e) => e.code); // "locked"
 * a.release();
 * ```
 */
export async function acquireLock(root: string): Promise<DataDirLock> {
  const path = join(root, "LOCK");
  // No truncate on open: the file may belong to a running holder whose pid we must not erase.
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
  } catch (e) {
    throw ioError(`opening ${absolute(path)}`, e);
  }
  let held: boolean;
  try {
    held = await file.tryLock(true);
  } catch (e) {
    file.close();
    throw ioError(`locking ${absolute(path)}`, e);
  }
  if (!held) {
    file.close();
    const pid = await holderPid(path);
    throw new KronError(
      "locked",
      `data dir ${absolute(root)} is locked by ${pid ? `pid ${pid}` : "another process"} ` +
        `(another kron runtime is using it)`,
    );
  }
  try {
    await file.truncate(0);
    await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  } catch (e) {
    file.close();
    throw ioError(`writing ${absolute(path)}`, e);
  }
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      try {
        file.unlockSync();
      } catch {
        // Closing releases a flock anyway.
      }
      file.close();
    },
  };
}

/** The pid in a held LOCK; the holder writes it just after locking, so retry briefly. */
async function holderPid(path: string): Promise<number | null> {
  for (let i = 0; i < 5; i++) {
    try {
      const pid = parseInt(await Deno.readTextFile(path), 10);
      if (pid > 0) return pid;
    } catch {
      // Unreadable: report without a pid.
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return null;
}
