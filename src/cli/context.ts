/**
 * Where things are: the default job file and the data dir.
 *
 * The job file, when a command is given none: `./jobs.toml`, then `./jobs.ts`, then
 * `$XDG_CONFIG_HOME/kron/jobs.toml` (`~/.config/kron/jobs.toml`).
 *
 * The data dir: `--data-dir`, else `KRON_DATA_DIR`, else the job file's `[kron] data_dir`
 * (relative to the job file's directory), else `./.kron`. Read commands (`status`, `history`…)
 * do not load the job file to learn its data dir: they read the setting straight from the
 * file's text, which keeps them fast and never runs a `jobs.ts`.
 *
 * @example
 * ```ts
 * import { dataDirForReads, findDefaultJobFile } from "./context.ts";
 * findDefaultJobFile(); // "jobs.toml" when the working directory has one
 * await dataDirForReads(undefined); // "/home/me/project/.kron"
 * ```
 * @module
 */
import { absolute } from "../paths.ts";

/**
 * The data dir when nothing else says.
 *
 * @example
 * ```ts
 * import { DEFAULT_DATA_DIR } from "./context.ts";
 * DEFAULT_DATA_DIR; // ".kron"
 * ```
 */
export const DEFAULT_DATA_DIR = ".kron";

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * An absolute, normalised path (`.` and `..` resolved textually).
 *
 * @example
 * ```ts
 * import { absPath } from "./context.ts";
 * absPath("/a/b/../c"); // "/a/c"
 * ```
 */
export function absPath(path: string, base?: string): string {
  return absolute(path, base);
}

/**
 * The directory part of a path (`.` for a bare name).
 *
 * @example
 * ```ts
 * import { dirName } from "./context.ts";
 * dirName("conf/jobs.toml"); // "conf"
 * ```
 */
export function dirName(path: string): string {
  const i = path.lastIndexOf("/");
  return i === -1 ? "." : i === 0 ? "/" : path.slice(0, i);
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * The candidates for the default job file, in order.
 *
 * @example
 * ```ts
 * import { defaultJobFileCandidates } from "./context.ts";
 * defaultJobFileCandidates(); // ["jobs.toml", "jobs.ts", "/home/me/.config/kron/jobs.toml"]
 * ```
 */
export function defaultJobFileCandidates(): string[] {
  const out = ["jobs.toml", "jobs.ts"];
  const xdg = env("XDG_CONFIG_HOME");
  const home = env("HOME");
  if (xdg) out.push(`${xdg}/kron/jobs.toml`);
  else if (home) out.push(`${home}/.config/kron/jobs.toml`);
  return out;
}

/**
 * The first default job file that exists, or null.
 *
 * @example
 * ```ts
 * import { findDefaultJobFile } from "./context.ts";
 * findDefaultJobFile() ?? "none";
 * ```
 */
export function findDefaultJobFile(): string | null {
  return defaultJobFileCandidates().find(isFile) ?? null;
}

/**
 * The data dir of a runtime for `file` whose `[kron] data_dir` is `setting`: absolute.
 *
 * @example
 * ```ts
 * import { dataDirForFile } from "./context.ts";
 * dataDirForFile(undefined, "/etc/kron/jobs.toml", "state"); // "/etc/kron/state" (no KRON_DATA_DIR)
 * ```
 */
export function dataDirForFile(
  flag: string | undefined,
  file: string | null,
  setting: string | null,
): string {
  if (flag) return absPath(flag);
  const fromEnv = env("KRON_DATA_DIR");
  if (fromEnv) return absPath(fromEnv);
  if (file && setting) return absPath(setting, absPath(dirName(file)));
  return absPath(DEFAULT_DATA_DIR);
}

/**
 * The data dir of read and control commands: flag, env, the default job file's setting
 * (read from its text), else `./.kron`. Absolute.
 *
 * @example
 * ```ts
 * import { dataDirForReads } from "./context.ts";
 * await dataDirForReads("/srv/kron"); // "/srv/kron"
 * ```
 */
export async function dataDirForReads(flag: string | undefined): Promise<string> {
  if (flag) return absPath(flag);
  const fromEnv = env("KRON_DATA_DIR");
  if (fromEnv) return absPath(fromEnv);
  const file = findDefaultJobFile();
  if (file) {
    let text = "";
    try {
      text = await Deno.readTextFile(file);
    } catch {
      // Unreadable: the default applies; `run` will report the file itself.
    }
    const setting = file.endsWith(".toml") ? scanTomlDataDir(text) : scanTsDataDir(text);
    if (setting) return absPath(setting, absPath(dirName(file)));
  }
  return absPath(DEFAULT_DATA_DIR);
}

/**
 * `data_dir` of the `[kron]` table, read from TOML text without a full parse; null if absent.
 *
 * @example
 * ```ts
 * import { scanTomlDataDir } from "./context.ts";
 * scanTomlDataDir('[kron]\ndata_dir = "/var/lib/kron"\n'); // "/var/lib/kron"
 * ```
 */
export function scanTomlDataDir(text: string): string | null {
  let inKron = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("[")) {
      inKron = /^\[\s*kron\s*\]\s*(#.*)?$/.test(line);
      continue;
    }
    if (!inKron) continue;
    const m = /^data_dir\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)')\s*(#.*)?$/.exec(line);
    if (!m) continue;
    if (m[2] !== undefined) return m[2];
    try {
      return JSON.parse(`"${m[1]}"`);
    } catch {
      return m[1];
    }
  }
  return null;
}

/**
 * `dataDir` of a `jobs.ts`'s `kron` settings, read from its text (a string literal only).
 *
 * @example
 * ```ts
 * import { scanTsDataDir } from "./context.ts";
 * scanTsDataDir('export const kron = { dataDir: "./state" };'); // "./state"
 * ```
 */
export function scanTsDataDir(text: string): string | null {
  const m = /\bdataDir\s*:\s*(["'`])([^"'`\n]*)\1/.exec(text);
  return m ? m[2] : null;
}

/**
 * The socket path of a data dir's admin API.
 *
 * @example
 * ```ts
 * import { socketPath } from "./context.ts";
 * socketPath("/srv/kron"); // "/srv/kron/kron.sock"
 * ```
 */
export function socketPath(dataDir: string): string {
  return `${dataDir}/kron.sock`;
}

/**
 * The daemon's pid file.
 *
 * @example
 * ```ts
 * import { pidFilePath } from "./context.ts";
 * pidFilePath("/srv/kron"); // "/srv/kron/kron.pid"
 * ```
 */
export function pidFilePath(dataDir: string): string {
  return `${dataDir}/kron.pid`;
}

/**
 * The daemon's log file.
 *
 * @example
 * ```ts
 * import { daemonLogPath } from "./context.ts";
 * daemonLogPath("/srv/kron"); // "/srv/kron/kron.log"
 * ```
 */
export function daemonLogPath(dataDir: string): string {
  return `${dataDir}/kron.log`;
}
