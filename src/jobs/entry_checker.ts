/**
 * What loaders hand the validator (a {@link RawJobFile} of {@link RawEntry}s, TOML date-times
 * kept as written) and the {@link EntryChecker} that reads one entry's fields, naming the file,
 * line, job and field of the first problem. The validator (validate.ts) and the settings
 * (settings.ts) both check with it, so it imports neither.
 *
 * @example
 * ```ts
 * import { EntryChecker } from "./entry_checker.ts";
 * const entry = { key: "a", line: null, fieldLine: () => null, data: { retries: 2 } };
 * new EntryChecker("jobs.ts", "ts", entry, "a").integer("retries", 2, 0); // 2
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import { parseDuration } from "../schedule/duration.ts";
import { validateTimezone } from "../schedule/mod.ts";
import { suggestionSuffix } from "./did_you_mean.ts";
import { JobFileError } from "./job_errors.ts";
import { isPlainObject } from "./_value_kind.ts";

export { isPlainObject };

/**
 * A TOML date-time kept as written, so that a local date-time (no offset) can later be read in
 * the job's time zone instead of being forced to UTC by the parser.
 *
 * @example
 * ```ts
 * import { DateTimeText } from "./entry_checker.ts";
 * const at = new DateTimeText("2026-03-01T09:00:00", "local-date-time");
 * at.text; // "2026-03-01T09:00:00"
 * ```
 */
export class DateTimeText {
  /** Creates the value; `text` uses `T` between date and time. */
  constructor(
    readonly text: string,
    readonly kind: "offset-date-time" | "local-date-time" | "local-date" | "local-time",
  ) {}
}

/**
 * One job (or the settings) as a loader found it. `data` is the table/object as written;
 * `fieldLine` locates a field or a nested key (`["env", "PORT"]`) in the source.
 *
 * @example
 * ```ts
 * import type { RawEntry } from "./entry_checker.ts";
 * const e: RawEntry = { key: null, line: 4, fieldLine: () => 5, data: { name: "a", every: "1h" } };
 * ```
 */
export interface RawEntry {
  data: unknown;
  /** The object key naming the job (TS); `null` when the name is a field (TOML). */
  key: string | null;
  /** Line of the `[[job]]`/`[kron]` header, `null` when lines are unknown (TS). */
  line: number | null;
  fieldLine(path: (string | number)[]): number | null;
}

/**
 * What a loader produces: plain data for {@link validateJobFile}.
 *
 * @example
 * ```ts
 * import type { RawJobFile } from "./entry_checker.ts";
 * const raw: RawJobFile = { file: "jobs.toml", kind: "toml", settings: null, jobs: [] };
 * ```
 */
export interface RawJobFile {
  /** The path as the user gave it: used in messages. */
  file: string;
  kind: "toml" | "ts";
  settings: RawEntry | null;
  jobs: RawEntry[];
}

/**
 * `"snake_case"` spelling of a camelCase field, as TOML files write it.
 *
 * @example
 * ```ts
 * import { snakeCase } from "./entry_checker.ts";
 * snakeCase("retryMaxDelay"); // "retry_max_delay"
 * ```
 */
export function snakeCase(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Shows a value in a message: strings quoted (and shortened), numbers and booleans as is.
 *
 * @example
 * ```ts
 * import { showValue } from "./entry_checker.ts";
 * showValue("30x"); // '"30x"'
 * showValue(-1); // "-1"
 * ```
 */
export function showValue(value: unknown): string {
  if (typeof value === "string") {
    const shown = JSON.stringify(value);
    return shown.length > 62 ? `${shown.slice(0, 60)}…"` : shown;
  }
  if (value instanceof DateTimeText) return value.text;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/**
 * True for null, undefined, strings, numbers, booleans and bigints.
 *
 * @example
 * ```ts
 * import { isPrimitive } from "./entry_checker.ts";
 * isPrimitive("a"); // true
 * isPrimitive({}); // false
 * ```
 */
export function isPrimitive(value: unknown): boolean {
  return value === null || value === undefined ||
    ["string", "number", "boolean", "bigint"].includes(typeof value);
}

/**
 * Checks the fields of one entry (a job or the settings) and throws {@link JobFileError}s that
 * name the file, the line or job, and the field as written. Shared by the job and settings
 * validators so that both speak the same way.
 *
 * @example
 * ```ts
 * import { EntryChecker } from "./entry_checker.ts";
 * const c = new EntryChecker("jobs.ts", "ts", { key: "a", line: null, fieldLine: () => null, data: {} }, "a");
 * c.integer("retries", 3, 0); // 3
 * ```
 */
export class EntryChecker {
  /** Label used when the entry has no (valid) job name yet: `job #2`, `[kron]`. */
  scope: string | null = null;

  /** `job` names the job in messages once its name is known. */
  constructor(
    readonly file: string,
    readonly kind: "toml" | "ts",
    readonly entry: RawEntry,
    public job: string | null,
  ) {}

  /** The field as this file spells it. */
  written(field: string): string {
    return this.kind === "toml" ? snakeCase(field) : field;
  }

  /**
   * Throws the error for `field` (camelCase; `null` for the entry as a whole). The line is that
   * of `[field, ...sub]`, else of the entry header.
   */
  fail(field: string | null, problem: string, sub: (string | number)[] = []): never {
    const name = field === null ? null : this.written(field);
    const line = name === null
      ? this.entry.line
      : this.entry.fieldLine([name, ...sub]) ?? this.entry.fieldLine([name]) ?? this.entry.line;
    throw new JobFileError({
      file: this.file,
      line,
      job: this.job,
      scope: this.job === null ? this.scope : null,
      field: name === null ? null : pathLabel(name, sub),
      problem,
    });
  }

  /** "`<label> <value> must be <what>`", or "`…must be <what>, not an array`" for non-scalars. */
  mustBe(field: string, value: unknown, what: string, sub: (string | number)[] = []): never {
    const label = pathLabel(this.written(field), sub);
    if (isPrimitive(value) && value !== null && value !== undefined) {
      this.fail(field, `${label} ${showValue(value)} must be ${what}`, sub);
    }
    this.fail(field, `${label} must be ${what}, not ${this.typeName(value)}`, sub);
  }

  /** A human name for the type of a value, in this file's vocabulary. */
  typeName(value: unknown): string {
    if (value === null) return "null";
    if (value === undefined) return "undefined";
    if (Array.isArray(value)) return "an array";
    if (value instanceof DateTimeText || value instanceof Date) return "a date-time";
    if (typeof value === "function") return "a function";
    if (typeof value === "object") return this.kind === "toml" ? "a table" : "an object";
    return `a ${typeof value}`;
  }

  /** An unknown field: suggests the closest known one. */
  unknownField(key: string, known: readonly string[], hint = ""): never {
    // A specific hint knows more than a spelling guess (`run` in TOML is not a typo of `cron`).
    const suggestion = hint || suggestionSuffix(key, known.map((f) => this.written(f)));
    const line = this.entry.fieldLine([key]) ?? this.entry.line;
    throw new JobFileError({
      file: this.file,
      line,
      job: this.job,
      scope: this.job === null ? this.scope : null,
      field: key,
      problem: `unknown field ${JSON.stringify(key)}${suggestion}`,
    });
  }

  /** A string; `nonEmpty` rejects `""` and blank text. */
  string(field: string, value: unknown, nonEmpty = true): string {
    if (typeof value !== "string") this.mustBe(field, value, "a string");
    if (nonEmpty && value.trim() === "") this.fail(field, `${this.written(field)} is empty`);
    return value;
  }

  /** `true` or `false`. */
  boolean(field: string, value: unknown): boolean {
    if (typeof value !== "boolean") this.mustBe(field, value, "true or false");
    return value;
  }

  /** An integer ≥ `min`. */
  integer(field: string, value: unknown, min: number): number {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
      this.mustBe(field, value, `an integer ≥ ${min}`);
    }
    return value;
  }

  /** One of `allowed`; the message lists them. */
  oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
    if (typeof value !== "string" || !allowed.includes(value as T)) {
      this.mustBe(field, value, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
    }
    return value as T;
  }

  /**
   * A duration, kept as written. TOML needs a string (a bare `30` has no unit to trust); TS may
   * also give milliseconds. `positive` rejects zero.
   */
  duration(field: string, value: unknown, positive = false): string | number {
    const name = this.written(field);
    if (typeof value === "number" && this.kind === "toml") {
      this.fail(field, `${name} ${value} must be a duration string such as "30s"`);
    }
    if (typeof value !== "string" && typeof value !== "number") {
      this.mustBe(field, value, `a duration such as "30s"`);
    }
    let ms: number;
    try {
      ms = parseDuration(value, name);
    } catch (e) {
      if (e instanceof KronError) this.fail(field, joinFieldProblem(name, e.message));
      throw e;
    }
    if (positive && ms <= 0) this.fail(field, `${name} ${showValue(value)} must be greater than 0`);
    return value;
  }

  /** An IANA time zone known to this runtime; suggests a close one. */
  timezone(field: string, value: unknown): string {
    const zone = this.string(field, value);
    if (!isTimeZone(zone)) {
      const suggestion = suggestionSuffix(zone, knownTimeZones());
      this.fail(
        field,
        `${this.written(field)} ${showValue(zone)} is not a known time zone${
          suggestion || ' (e.g. "Europe/Rome", "UTC")'
        }`,
      );
    }
    return zone;
  }
}

/** `env.PORT`, `command[2]`: how a nested value is named in messages. */
function pathLabel(name: string, sub: (string | number)[]): string {
  return name + sub.map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`)).join("");
}

/**
 * Re-phrases a `field: problem` message from the schedule module so that a problem starting
 * with the value reads as a sentence (`timeout "30x" is not a duration`), others keep the colon.
 *
 * @example
 * ```ts
 * import { joinFieldProblem } from "./entry_checker.ts";
 * joinFieldProblem("timeout", 'duration: "30x" is not a duration'); // 'timeout "30x" is not a duration'
 * ```
 */
export function joinFieldProblem(name: string, message: string): string {
  const colon = message.indexOf(": ");
  const problem = colon >= 0 ? message.slice(colon + 2) : message;
  return /^("|'|-?\d+(\.\d+)? is )/.test(problem) ? `${name} ${problem}` : `${name}: ${problem}`;
}

/**
 * Whether the runtime knows the IANA time zone `zone`.
 *
 * @example
 * ```ts
 * import { isTimeZone } from "./entry_checker.ts";
 * isTimeZone("Europe/Rome"); // true
 * isTimeZone("Mars/Olympus"); // false
 * ```
 */
export function isTimeZone(zone: string): boolean {
  try {
    // The schedule module's check, so that a zone accepted here is accepted there.
    validateTimezone(zone);
    return true;
  } catch {
    return false;
  }
}

let zones: string[] | null = null;
/**
 * Every time zone name a suggestion may offer ("did you mean …?").
 *
 * @example
 * ```ts
 * import { knownTimeZones } from "./entry_checker.ts";
 * knownTimeZones().includes("UTC"); // true
 * ```
 */
export function knownTimeZones(): string[] {
  // supportedValuesOf leaves out the UTC aliases people write most.
  zones ??= ["UTC", "Etc/UTC", ...Intl.supportedValuesOf("timeZone")];
  return zones;
}
