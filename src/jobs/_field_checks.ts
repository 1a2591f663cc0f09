/**
 * The checks of one job field's value (folder-private: validate.ts checks a job's fields in
 * the order written and calls these): date-times, policy fields by the policy table, commands,
 * env, permissions, `on_failure` / `on_late` hooks. Each returns the value in its final shape
 * or fails the {@link EntryChecker} with a one-line error naming the field.
 *
 * @example
 * ```ts
 * import { checkPolicyField } from "./_field_checks.ts";
 * import { EntryChecker } from "./entry_checker.ts";
 * const entry = { key: "a", line: null, fieldLine: () => null, data: {} };
 * checkPolicyField(new EntryChecker("jobs.ts", "ts", entry, "a"), "retries", 2); // 2
 * ```
 * @module
 */
import { KronError } from "../errors.ts";
import { POLICY_FIELDS, type PolicyField, type PolicyFieldName } from "../policy/mod.ts";
import { commandArgv } from "./command.ts";
import { suggestionSuffix } from "./did_you_mean.ts";
import type { JobPermissions, OnFailure } from "./job_types.ts";
import { DateTimeText, type EntryChecker, isPlainObject, showValue } from "./entry_checker.ts";

/** The Deno permissions a job's `permissions` table may narrow. */
export const PERMISSION_NAMES = ["read", "write", "net", "env", "run", "sys"] as const;

/** A date-time field (`at`, `startAt`): a TOML date-time, a Date, an ISO string (or ms). */
export function checkDateTime(
  c: EntryChecker,
  field: string,
  value: unknown,
  allowNumber: boolean,
): string | Date | number {
  // Only the type is checked here; whether the date exists is the schedule module's call.
  if (value instanceof DateTimeText) {
    if (value.kind === "local-time") {
      const name = c.written(field);
      c.fail(field, `${name} ${value.text} has no date (write e.g. 2026-03-01T${value.text})`);
    }
    return value.text;
  }
  if (value instanceof Date || typeof value === "string") return value;
  if (allowNumber && c.kind === "ts" && typeof value === "number") return value;
  const what = c.kind === "toml"
    ? "a date-time"
    : allowNumber
    ? "a Date, an ISO date-time string or epoch milliseconds"
    : "a Date or an ISO date-time string";
  c.mustBe(field, value, what);
}

/** A policy field, checked by its kind, range and values in POLICY_FIELDS. */
export function checkPolicyField(c: EntryChecker, name: PolicyFieldName, value: unknown): unknown {
  const field: PolicyField = POLICY_FIELDS[name];
  switch (field.kind) {
    case "duration":
      return c.duration(name, value, field.positive);
    case "integer":
      return c.integer(name, value, field.min);
    case "enum": {
      const booleans = field.booleans;
      if (booleans === undefined) return c.oneOf(name, value, field.values);
      // koku wrote `overlap = true/false`, meaning allow/skip: kept working, normalised here.
      if (typeof value === "boolean") return value ? booleans.true : booleans.false;
      if (typeof value !== "string" || !field.values.includes(value)) {
        const listed = field.values.map((v) => JSON.stringify(v)).join(", ");
        c.mustBe(
          name,
          value,
          `one of ${listed} (or true = ${booleans.true}, false = ${booleans.false})`,
        );
      }
      return value;
    }
  }
}

/** `command`: a non-empty string, or an argv array of strings with a program. */
export function checkCommand(c: EntryChecker, field: string, value: unknown): string | string[] {
  const name = c.written(field);
  if (typeof value === "string") {
    if (value.trim() === "") c.fail(field, `${name} is empty`);
    return value;
  }
  if (!Array.isArray(value)) c.mustBe(field, value, "a string or an array of strings");
  if (value.length === 0) c.fail(field, `${name} is an empty array`);
  value.forEach((word, i) => {
    if (typeof word !== "string") c.mustBe(field, word, "a string", [i]);
  });
  if ((value[0] as string).trim() === "") c.fail(field, `${name}[0] (the program) is empty`);
  return [...value] as string[];
}

/** Environment names the OS can carry: no `=` (the separator) and no NUL. */
const ENV_NAME = /^[^=\0]+$/;

/** `env`: a table of names the OS can carry to string values. */
export function checkEnv(c: EntryChecker, field: string, value: unknown): Record<string, string> {
  const name = c.written(field);
  if (!isPlainObject(value)) {
    c.mustBe(field, value, `a ${c.kind === "toml" ? "table" : "object"} of strings`);
  }
  const env: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!ENV_NAME.test(key)) {
      c.fail(field, `${name} has an invalid variable name ${showValue(key)}`, [key]);
    }
    if (typeof v !== "string") c.mustBe(field, v, "a string", [key]);
    if (v.includes("\0")) c.fail(field, `${name}.${key} contains a NUL character`, [key]);
    env[key] = v;
  }
  return env;
}

/** `permissions`: a table narrowing the run's Deno permissions. */
export function checkPermissions(c: EntryChecker, field: string, value: unknown): JobPermissions {
  const name = c.written(field);
  if (!isPlainObject(value)) c.mustBe(field, value, `a ${c.kind === "toml" ? "table" : "object"}`);
  const out: JobPermissions = {};
  for (const [key, v] of Object.entries(value)) {
    const perm = PERMISSION_NAMES.find((p) => p === key);
    if (perm === undefined) {
      c.fail(
        field,
        `${name} has unknown permission ${showValue(key)}${
          suggestionSuffix(key, PERMISSION_NAMES) || ` (known: ${PERMISSION_NAMES.join(", ")})`
        }`,
        [key],
      );
    }
    if (typeof v === "boolean") {
      out[perm] = v;
      continue;
    }
    if (!Array.isArray(v)) c.mustBe(field, v, "true, false or an array of strings", [key]);
    v.forEach((item, i) => {
      if (typeof item !== "string" || item.trim() === "") {
        c.mustBe(field, item, "a non-empty string", [key, i]);
      }
    });
    out[perm] = [...v] as string[];
  }
  return out;
}

/** Something that looks like a URL (`scheme://`), so a typo in one is not run as a command. */
const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** `on_failure` / `on_late`: a hook (a command or a URL) and its options. */
export function checkOnFailure(c: EntryChecker, field: string, value: unknown): OnFailure {
  const name = c.written(field);
  if (typeof value === "string" && URL_LIKE.test(value)) {
    let url: URL | null = null;
    try {
      url = new URL(value);
    } catch {
      url = null;
    }
    if (url === null || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
      c.fail(field, `${name} ${showValue(value)} is not a valid http(s):// URL`);
    }
    return { url: value };
  }
  if (typeof value !== "string" && !Array.isArray(value)) {
    c.mustBe(field, value, "a command (a string or an array of strings) or an http(s):// URL");
  }
  const command = checkCommand(c, field, value);
  checkRunnable(c, field, command, false);
  return { command };
}

/**
 * Splits the command the way the executor will, so that an unterminated quote or a NUL fails
 * `kron check` instead of the job's first run.
 */
export function checkRunnable(
  c: EntryChecker,
  field: string,
  command: string | string[],
  shell: boolean,
): void {
  try {
    commandArgv({ command, shell });
  } catch (e) {
    if (!(e instanceof KronError)) throw e;
    c.fail(field, `${c.written(field)}: ${e.message.replace(/^command: /, "")}`);
  }
}
