/**
 * `kron repair`: makes a data dir with a corrupt log openable again by keeping the valid prefix
 * of the log (everything before the first corrupt record) and dropping the rest, after copying
 * `log/` and `snapshot.json` to `<dataDir>/backup-<timestamp>/`. A damaged snapshot is moved to
 * the backup too (then only what the log still holds is kept). Takes the lock: it refuses to
 * run while a runtime uses the data dir.
 *
 * @example
 * ```ts
 * import { repair } from "./repair.ts";
 * const report = await repair(".kron");
 * if (report.backupDir) console.log(`dropped ${report.droppedRecords} records; backup in ${report.backupDir}`);
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import { checkFormat, dataDirPaths } from "./data_dir.ts";
import { absolute, exists, fsyncDir, join } from "./_fs.ts";
import { acquireLock } from "./_lock.ts";
import { replay } from "./_replay.ts";
import { readSnapshot } from "./_snapshot.ts";
import { countLines } from "./_scan.ts";

/**
 * What `repair` did.
 *
 * @example
 * ```ts
 * const r = await repair(".kron");
 * console.log(r.droppedRecords, r.backupDir);
 * ```
 */
export interface RepairReport {
  dataDir: string;
  /** Where the originals were copied; null when there was nothing to repair. */
  backupDir: string | null;
  /** Records left in the log. */
  keptRecords: number;
  /** Complete records dropped (from the first corrupt one to the end of the log). */
  droppedRecords: number;
  /** The first corrupt record, where the kept prefix ends. */
  corrupt: { segment: string; line: number; reason: string } | null;
  /** A torn tail that was cut. */
  truncated: { segment: string; offset: number; bytes: number } | null;
  /** Segments deleted because they followed the corruption. */
  removedSegments: string[];
  /** The snapshot was damaged and moved to the backup. */
  snapshotDropped: boolean;
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, "-");
}

/**
 * Repairs `dataDir` (see the module doc). Safe to run on a healthy data dir: it then changes
 * nothing and makes no backup.
 *
 * @example
 * ```ts
 * import { repair } from "./repair.ts";
 * (await repair(Deno.makeTempDirSync())).backupDir; // null
 * ```
 */
export async function repair(dataDir: string): Promise<RepairReport> {
  const root = dataDir;
  const p = dataDirPaths(root);
  if (!(await exists(root))) {
    throw new KronError("io", `no data dir at ${absolute(root)}`);
  }
  const lock = await acquireLock(root);
  try {
    const report: RepairReport = {
      dataDir: absolute(root),
      backupDir: null,
      keptRecords: 0,
      droppedRecords: 0,
      corrupt: null,
      truncated: null,
      removedSegments: [],
      snapshotDropped: false,
    };
    if ((await checkFormat(root, { create: false })) === "empty") return report;
    try {
      await readSnapshot(root, { state: false });
    } catch (e) {
      if (!(e instanceof KronError && e.code === "corrupt_log")) throw e;
      report.snapshotDropped = true;
    }
    const r = await replay(root, { keepBytes: true, ignoreSnapshot: report.snapshotDropped });
    const segs = r.segments;
    const lastRead = r.corrupt ? r.corrupt.index : segs.length - 1;
    for (let i = 0; i <= lastRead; i++) {
      if (segs[i].firstSeq > 0) report.keptRecords += segs[i].lastSeq - segs[i].firstSeq + 1;
    }
    if (!r.corrupt && !r.tail && !report.snapshotDropped) return report;

    // Back up everything we are about to change, and fsync it, before changing anything.
    let backup = join(root, `backup-${stamp()}`);
    while (await exists(backup)) backup += "-1";
    await Deno.mkdir(join(backup, "log"), { recursive: true, mode: 0o700 });
    for (const seg of segs) await Deno.copyFile(seg.path, join(backup, seg.name));
    if (await exists(p.snapshot)) await Deno.copyFile(p.snapshot, join(backup, "snapshot.json"));
    await fsyncDir(join(backup, "log"));
    await fsyncDir(backup);
    await fsyncDir(root);
    report.backupDir = absolute(backup);

    if (report.snapshotDropped) {
      await Deno.remove(p.snapshot);
      await fsyncDir(root);
    }
    if (r.corrupt) {
      const c = r.corrupt;
      const bytes = r.bytes![c.index];
      report.corrupt = { segment: c.segment.name, line: c.line, reason: c.reason };
      report.droppedRecords += countLines(bytes, c.offset);
      await truncate(c.segment.path, c.offset);
      for (const seg of segs.slice(c.index + 1)) {
        report.droppedRecords += countLines(await Deno.readFile(seg.path));
        await Deno.remove(seg.path);
        report.removedSegments.push(seg.name);
      }
    } else if (r.tail) {
      await truncate(r.tail.segment.path, r.tail.offset);
      report.truncated = {
        segment: r.tail.segment.name,
        offset: r.tail.offset,
        bytes: r.tail.bytes,
      };
    }
    await fsyncDir(p.log);
    return report;
  } finally {
    lock.release();
  }
}

async function truncate(path: string, size: number): Promise<void> {
  const f = await Deno.open(path, { write: true });
  try {
    await f.truncate(size);
    await f.sync();
  } finally {
    f.close();
  }
}
