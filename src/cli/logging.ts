/**
 * Logging for the CLI's runtime (`kron run`, the daemon): LogTape with one sink that writes a
 * line per record to stderr, as text or as JSON. Records under `["kron", …]` and
 * `["logtape", …]` (LogTape's own warnings) are written; the engine already attaches job, run
 * id, attempt and exit code or outcome to every record about a run, and both formats keep them
 * as fields.
 *
 * Text: `2026-11-24T10:00:00.123Z INFO  kron.engine run backup 01J… attempt 1 succeeded in 12 ms
 * job=backup runId=01J… attempt=1 outcome=succeeded`.
 * JSON: one object per line, `{"time":…,"level":"info","category":"kron.engine","message":…,
 * "job":"backup",…}`.
 *
 * @example
 * ```ts
 * import { configureLogging } from "./logging.ts";
 * await configureLogging("json");
 * ```
 * @module
 */
import { configure, type LogLevel, type LogRecord, reset } from "@logtape/logtape";

/**
 * Output formats of {@link configureLogging}.
 *
 * @example
 * ```ts
 * import type { LogFormat } from "./logging.ts";
 * const format: LogFormat = "json";
 * ```
 */
export type LogFormat = "text" | "json";

/**
 * Options of {@link configureLogging}.
 *
 * @example
 * ```ts
 * import type { LoggingOptions } from "./logging.ts";
 * const opts: LoggingOptions = { level: "debug", write: (line) => console.log(line) };
 * ```
 */
export interface LoggingOptions {
  /** Lowest level written (default `"info"`, or `KRON_LOG_LEVEL`). */
  level?: LogLevel;
  /** Where lines go (default: stderr). */
  write?: (line: string) => void;
}

const LEVELS: LogLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];
const LEVEL_TEXT: Record<LogLevel, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO ",
  warning: "WARN ",
  error: "ERROR",
  fatal: "FATAL",
};

const encoder = new TextEncoder();

function stderrLine(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let off = 0;
  while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
}

/** Renders a value inside a message or a text field. */
function show(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.message.split("\n")[0];
  if (value instanceof Date) return value.toISOString();
  if (value === undefined) return "undefined";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A `key=value` field; values with spaces, quotes or `=` are JSON-quoted. */
function field(key: string, value: unknown): string {
  const text = show(value);
  return `${key}=${/^[^\s"=]*$/.test(text) && text !== "" ? text : JSON.stringify(text)}`;
}

/** The message with its placeholders filled in. */
function message(record: LogRecord): string {
  return record.message.map((part, i) => i % 2 === 0 ? String(part) : show(part)).join("");
}

// `time` duplicates the line's own timestamp (engine records carry the event's time).
const SKIP_IN_TEXT = new Set(["time"]);

/**
 * Formats a record as one text line.
 *
 * @example
 * ```ts
 * import { formatText } from "./logging.ts";
 * // formatText(record) → "2026-…Z INFO  kron.engine run backup … job=backup runId=… attempt=1"
 * ```
 */
export function formatText(record: LogRecord): string {
  const fields = Object.entries(record.properties)
    .filter(([k, v]) => !SKIP_IN_TEXT.has(k) && v !== undefined)
    .map(([k, v]) => field(k, v));
  return [
    new Date(record.timestamp).toISOString(),
    LEVEL_TEXT[record.level],
    record.category.join("."),
    message(record),
    ...fields,
  ].join(" ");
}

/**
 * Formats a record as one JSON object: fixed keys, then the record's properties.
 *
 * @example
 * ```ts
 * import { formatJson } from "./logging.ts";
 * // JSON.parse(formatJson(record)).job === "backup"
 * ```
 */
export function formatJson(record: LogRecord): string {
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record.properties)) {
    props[k] = v instanceof Error ? v.message : v;
  }
  // Fixed keys are written last so a property cannot overwrite them.
  return JSON.stringify({
    ...props,
    time: new Date(record.timestamp).toISOString(),
    level: record.level,
    category: record.category.join("."),
    message: message(record),
  }, (_k, v) => typeof v === "bigint" ? String(v) : v);
}

function levelFromEnv(): LogLevel | undefined {
  try {
    const v = Deno.env.get("KRON_LOG_LEVEL")?.toLowerCase();
    if (v === "warn") return "warning";
    return LEVELS.includes(v as LogLevel) ? v as LogLevel : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Configures LogTape for the runtime. Replaces any earlier configuration.
 *
 * @example
 * ```ts
 * import { configureLogging } from "./logging.ts";
 * const lines: string[] = [];
 * await configureLogging("text", { write: (l) => lines.push(l) });
 * ```
 */
export async function configureLogging(
  format: LogFormat,
  options: LoggingOptions = {},
): Promise<void> {
  const write = options.write ?? stderrLine;
  const render = format === "json" ? formatJson : formatText;
  await configure({
    reset: true,
    sinks: {
      out: (record: LogRecord) => {
        try {
          write(render(record));
        } catch {
          // A closed stderr must not take the scheduler down.
        }
      },
    },
    loggers: [
      {
        category: ["kron"],
        sinks: ["out"],
        lowestLevel: options.level ?? levelFromEnv() ?? "info",
      },
      { category: ["logtape", "meta"], sinks: ["out"], lowestLevel: "warning" },
    ],
  });
}

/**
 * Drops the configuration (tests; the process exit flushes nothing else).
 *
 * @example
 * ```ts
 * import { resetLogging } from "./logging.ts";
 * await resetLogging();
 * ```
 */
export async function resetLogging(): Promise<void> {
  await reset();
}

/**
 * Validates a `--log-format` value.
 *
 * @example
 * ```ts
 * import { isLogFormat } from "./logging.ts";
 * isLogFormat("json"); // true
 * ```
 */
export function isLogFormat(value: unknown): value is LogFormat {
  return value === "text" || value === "json";
}
