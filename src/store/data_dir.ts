/**
 * The data directory: where it is (`resolveDataDir`), its fixed layout (DESIGN §5) and its
 * `FORMAT` file, which every reader checks before trusting anything else in the directory.
 *
 * ```
 * .kron/  FORMAT  LOCK  log/000001.ndjson …  snapshot.json
 * ```
 *
 * @example
 * ```ts
 * import { resolveDataDir } from "./data_dir.ts";
 * resolveDataDir("/var/lib/kron"); // "/var/lib/kron"
 * resolveDataDir(); // $KRON_DATA_DIR, else ".kron"
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import { absolute, exists, fsyncDir, join, writeFileAtomic } from "./_fs.ts";

/**
 * The format this build writes.
 *
 * @example
 * ```ts
 * await Deno.readTextFile(".kron/FORMAT"); // "1\n" === FORMAT_VERSION + "\n"
 * ```
 */
export const FORMAT_VERSION = "1";
/**
 * The formats this build can read.
 *
 * @example
 * ```ts
 * READABLE_FORMATS.includes("1"); // true
 * ```
 */
export const READABLE_FORMATS: readonly string[] = ["1"];
/**
 * The data dir used when neither an option nor `KRON_DATA_DIR` says otherwise.
 *
 * @example
 * ```ts
 * DEFAULT_DATA_DIR; // ".kron"
 * ```
 */
export const DEFAULT_DATA_DIR = ".kron";

/**
 * Paths inside a data dir.
 *
 * @example
 * ```ts
 * const { log, snapshot } = dataDirPaths(".kron");
 * ```
 */
export interface DataDirPaths {
  root: string;
  format: string;
  lock: string;
  log: string;
  snapshot: string;
}

/**
 * The data dir to use: the explicit option (`--data-dir`), else `KRON_DATA_DIR`, else `.kron`.
 * Never throws when env access is not permitted (falls back to the default).
 *
 * @example
 * ```ts
 * import { resolveDataDir } from "./data_dir.ts";
 * resolveDataDir("./state"); // "./state"
 * ```
 */
export function resolveDataDir(option?: string | null): string {
  if (option) return option;
  let env: string | undefined;
  try {
    env = Deno.env.get("KRON_DATA_DIR");
  } catch {
    // No --allow-env: the default is the only sensible answer.
  }
  return env || DEFAULT_DATA_DIR;
}

/**
 * The fixed layout of a data dir.
 *
 * @example
 * ```ts
 * import { dataDirPaths } from "./data_dir.ts";
 * dataDirPaths(".kron").log; // ".kron/log"
 * ```
 */
export function dataDirPaths(root: string): DataDirPaths {
  return {
    root,
    format: join(root, "FORMAT"),
    lock: join(root, "LOCK"),
    log: join(root, "log"),
    snapshot: join(root, "snapshot.json"),
  };
}

/**
 * Creates the data dir (mode 0700: events name jobs, commands and errors) if it is missing.
 *
 * @example
 * ```ts
 * import { ensureDataDir } from "./data_dir.ts";
 * await ensureDataDir(Deno.makeTempDirSync() + "/.kron");
 * ```
 */
export async function ensureDataDir(root: string): Promise<void> {
  if (await exists(root)) return;
  await Deno.mkdir(root, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask; make 0700 exact.
  await Deno.chmod(root, 0o700);
  // Make the new directory's entry durable too.
  await fsyncDir(absolute(root).replace(/\/[^/]*$/, "") || "/");
}

/**
 * Checks the data dir's `FORMAT`. A fresh directory (no FORMAT, no log, no snapshot) gets one
 * when `create` is set, and is reported as `"empty"` otherwise. Anything this build cannot read
 * throws `KronError("unknown_format")` naming the file and the versions it reads.
 *
 * @example
 * ```ts
 * import { checkFormat } from "./data_dir.ts";
 * await checkFormat(Deno.makeTempDirSync(), { create: true }); // "ok"
 * ```
 */
export async function checkFormat(
  root: string,
  opts: { create: boolean },
): Promise<"ok" | "empty"> {
  const p = dataDirPaths(root);
  let text: string;
  try {
    text = await Deno.readTextFile(p.format);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    if (await exists(p.log) || await exists(p.snapshot)) {
      throw new KronError(
        "unknown_format",
        `${
          absolute(p.format)
        } is missing but the data dir holds a log: not a kron ${FORMAT_VERSION} ` +
          `data dir (this build reads format ${READABLE_FORMATS.join(", ")})`,
      );
    }
    if (!opts.create) return "empty";
    await writeFileAtomic(root, "FORMAT", [`${FORMAT_VERSION}\n`]);
    return "ok";
  }
  const version = text.trim();
  if (!READABLE_FORMATS.includes(version)) {
    throw new KronError(
      "unknown_format",
      `${absolute(p.format)} says format ${JSON.stringify(version.slice(0, 40))}, but this build ` +
        `of kron reads only format ${READABLE_FORMATS.join(", ")} ` +
        `(use the kron version that wrote it, or another --data-dir)`,
    );
  }
  return "ok";
}
