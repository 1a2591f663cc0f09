/**
 * Runtime settings written in a job file: the `[kron]` table of `jobs.toml`, or the `kron`
 * export of `jobs.ts` (camelCase there). They are defaults: command-line flags and environment
 * variables win, which the CLI decides.
 *
 * ```toml
 * [kron]
 * data_dir = ".kron"
 * timezone = "Europe/Rome"      # default for cron jobs without their own
 * http = "127.0.0.1:8080"       # admin API over TCP (token required)
 * log_format = "json"           # text | json
 * durability = "fsync"          # fsync | batch | none
 * shutdown_timeout = "30s"
 * grace = "10m"                 # default grace of the jobs (late/down); none by default
 * down_after = "1h"             # default down_after of the jobs with a grace
 * ```
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./settings.ts";
 * parseHostPort("127.0.0.1:8080"); // { host: "127.0.0.1", port: 8080 }
 * ```
 * @module
 */
import type { RuntimeSettings } from "./job_types.ts";
import { splitHostPort } from "../paths.ts";
import type { EntryChecker } from "./entry_checker.ts";
// The store's light entry: the values, without loading the store.
import { DURABILITIES } from "../store/durability.ts";

/** The settings fields, camelCase (TOML writes them snake_case). */
export const SETTINGS_FIELDS = [
  "dataDir",
  "timezone",
  "http",
  "logFormat",
  "durability",
  "shutdownTimeout",
  "sandboxWorkers",
  "grace",
  "downAfter",
] as const;

/** Accepted `log_format` values. */
export const LOG_FORMATS = ["text", "json"] as const;

/** Accepted `durability` values: fsync every commit, batch the fsyncs, or leave it to the OS. */
export { DURABILITIES };

/**
 * Splits `"host:port"` (IPv6 hosts in brackets: `"[::1]:8080"`), or `null` when malformed or
 * the port is out of range. A host is required: binding every interface should be a decision
 * written out (`0.0.0.0:8080`), not an accident of leaving it blank.
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./settings.ts";
 * parseHostPort("[::1]:9000"); // { host: "::1", port: 9000 }
 * parseHostPort("8080"); // null
 * ```
 */
export function parseHostPort(text: string): { host: string; port: number } | null {
  const split = splitHostPort(text);
  return split === null || split.host === "" ? null : split;
}

/**
 * Validates the settings entry behind `c` (unknown fields were already rejected) and returns
 * them with `null` for what is not set.
 *
 * @example
 * ```ts
 * import { checkSettings } from "./settings.ts";
 * import { EntryChecker } from "./validate.ts";
 * const entry = { key: null, line: 1, fieldLine: () => 2, data: { log_format: "json" } };
 * checkSettings(new EntryChecker("jobs.toml", "toml", entry, null)).logFormat; // "json"
 * ```
 */
export function checkSettings(c: EntryChecker): RuntimeSettings {
  const out = emptySettings();
  const data = c.entry.data as Record<string, unknown>;
  // Written order, like jobs: the first problem reported is the first one in the file.
  for (const [key, value] of Object.entries(data)) {
    const field = SETTINGS_FIELDS.find((f) => c.written(f) === key);
    if (field === undefined || value === undefined) continue;
    switch (field) {
      case "dataDir":
        out.dataDir = c.string(field, value);
        break;
      case "timezone":
        out.timezone = c.timezone(field, value);
        break;
      case "http": {
        const text = c.string(field, value);
        if (parseHostPort(text) === null) {
          c.fail(field, `http ${JSON.stringify(text)} must be "host:port" (e.g. "127.0.0.1:8080")`);
        }
        out.http = text;
        break;
      }
      case "logFormat":
        out.logFormat = c.oneOf(field, value, LOG_FORMATS);
        break;
      case "durability":
        out.durability = c.oneOf(field, value, DURABILITIES);
        break;
      case "shutdownTimeout": {
        const d = c.duration(field, value);
        // Kept as written like every duration; TS may give ms, shown the way TOML writes it.
        out.shutdownTimeout = typeof d === "number" ? `${d}ms` : d;
        break;
      }
      case "sandboxWorkers":
        out.sandboxWorkers = c.integer(field, value, 1);
        break;
      case "grace":
        out.grace = c.duration(field, value);
        break;
      case "downAfter":
        out.downAfter = c.duration(field, value);
        break;
    }
  }
  return out;
}

/**
 * Settings with nothing set: the CLI's flags and defaults decide everything.
 *
 * @example
 * ```ts
 * import { emptySettings } from "./settings.ts";
 * emptySettings().timezone; // null
 * ```
 */
export function emptySettings(): RuntimeSettings {
  return {
    dataDir: null,
    timezone: null,
    http: null,
    logFormat: null,
    durability: null,
    shutdownTimeout: null,
    sandboxWorkers: null,
  };
}
