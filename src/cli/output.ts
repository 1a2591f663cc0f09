/**
 * Terminal output: where text goes, colours (only on a terminal and never with `NO_COLOR`),
 * koku-style tables and times.
 *
 * @example
 * ```ts
 * import { consoleIo, table } from "./output.ts";
 * const io = consoleIo();
 * io.out(table([["NAME", "STATE"], ["backup", "idle"]]));
 * ```
 * @module
 */

/**
 * Where a command writes; tests capture it.
 *
 * @example
 * ```ts
 * import type { Io } from "./output.ts";
 * function hello(io: Io) {
 *   io.out("hello");
 * }
 * ```
 */
export interface Io {
  /** Writes `text` and a newline to stdout. */
  out(text: string): void;
  /** Writes `text` and a newline to stderr. */
  err(text: string): void;
  /** Writes `text` as is to stdout (streamed output). */
  write(text: string): void;
  /** Whether stdout may be coloured. */
  readonly color: boolean;
  /** Whether stderr may be coloured. */
  readonly errColor: boolean;
}

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}

/**
 * Whether colours are allowed on a stream: it is a terminal and `NO_COLOR` is not set.
 *
 * @example
 * ```ts
 * import { colorAllowed } from "./output.ts";
 * colorAllowed(Deno.stdout); // false when piped
 * ```
 */
export function colorAllowed(stream: { isTerminal(): boolean }): boolean {
  if (Deno.noColor) return false;
  try {
    if (Deno.env.get("NO_COLOR")) return false;
  } catch {
    // No env permission: Deno.noColor already reflected NO_COLOR at startup.
  }
  return stream.isTerminal();
}

/**
 * The real stdout/stderr.
 *
 * @example
 * ```ts
 * import { consoleIo } from "./output.ts";
 * consoleIo().out("hello");
 * ```
 */
export function consoleIo(): Io {
  return {
    out: (text) => writeAll(Deno.stdout, text + "\n"),
    err: (text) => writeAll(Deno.stderr, text + "\n"),
    write: (text) => writeAll(Deno.stdout, text),
    color: colorAllowed(Deno.stdout),
    errColor: colorAllowed(Deno.stderr),
  };
}

/**
 * An {@link Io} that records what was written (tests).
 *
 * @example
 * ```ts
 * import { memoryIo } from "./output.ts";
 * const io = memoryIo();
 * io.out("x");
 * io.stdout; // "x\n"
 * ```
 */
export function memoryIo(color = false): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    color,
    errColor: color,
    out(text: string) {
      io.stdout += text + "\n";
    },
    err(text: string) {
      io.stderr += text + "\n";
    },
    write(text: string) {
      io.stdout += text;
    },
  };
  return io;
}

const CODES: Record<string, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
};

/**
 * A colour name of {@link paint}.
 *
 * @example
 * ```ts
 * import type { Color } from "./output.ts";
 * const c: Color = "red";
 * ```
 */
export type Color = keyof typeof CODES;

/**
 * Wraps `text` in an ANSI colour when `on` (pass `io.color`).
 *
 * @example
 * ```ts
 * import { paint } from "./output.ts";
 * paint("failed", "red", false); // "failed"
 * ```
 */
export function paint(text: string, color: Color, on: boolean): string {
  if (!on) return text;
  const [open, close] = CODES[color];
  return `\x1b[${open}m${text}\x1b[${close}m`;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Visible width of a cell (ANSI codes excluded; one column per code point). */
function width(text: string): number {
  return [...text.replace(ANSI, "")].length;
}

/**
 * Aligns rows into columns separated by two spaces; the first row is the header. The last
 * column is not padded.
 *
 * @example
 * ```ts
 * import { table } from "./output.ts";
 * table([["NAME", "EXIT"], ["backup", "0"]]);
 * // "NAME    EXIT\nbackup  0"
 * ```
 */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, width(cell)));
  }
  return rows.map((row) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell + " ".repeat(widths[i] - width(cell)))
      .join("  ").trimEnd()
  ).join("\n");
}

/**
 * The "no value" mark in tables.
 *
 * @example
 * ```ts
 * import { NONE } from "./output.ts";
 * NONE; // "—"
 * ```
 */
export const NONE = "—";

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * A time as `YYYY-MM-DD HH:MM:SS` in the local time zone (koku's status format), or "—".
 *
 * @example
 * ```ts
 * import { formatTime } from "./output.ts";
 * formatTime(null); // "—"
 * ```
 */
export function formatTime(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined) return NONE;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return NONE;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * A time in a given IANA zone with its offset: `2026-03-02 08:00:00 +01:00 Europe/Rome`.
 *
 * @example
 * ```ts
 * import { formatZoned } from "./output.ts";
 * formatZoned(Date.UTC(2026, 0, 1, 7), "Europe/Rome"); // "2026-01-01 08:00:00 +01:00 Europe/Rome"
 * ```
 */
export function formatZoned(ms: number, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      timeZoneName: "longOffset",
    }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]),
  );
  const offset = String(parts.timeZoneName ?? "").replace(/^GMT$/, "GMT+00:00").replace(
    "GMT",
    "",
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}` +
    ` ${offset} ${zone}`;
}

/**
 * A duration in ms, compactly: `850ms`, `12.3s`, `4m05s`, `2h10m`.
 *
 * @example
 * ```ts
 * import { formatMs } from "./output.ts";
 * formatMs(12_300); // "12.3s"
 * ```
 */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return NONE;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, "")}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${pad(Math.floor(ms / 1000) % 60)}s`;
  return `${Math.floor(ms / 3_600_000)}h${pad(Math.floor(ms / 60_000) % 60)}m`;
}

/**
 * Pretty JSON for `--json` output (dates become ISO strings).
 *
 * @example
 * ```ts
 * import { toJson } from "./output.ts";
 * toJson({ a: 1 }); // '{\n  "a": 1\n}'
 * ```
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
