/**
 * Turns what a user passes to `schedule()` into the data kron persists: a validated
 * {@link JobDefinitionRecord} and its hash. Invalid input throws before anything changes.
 *
 * @example
 * ```ts
 * import { buildDefinition } from "./definition.ts";
 * const { def, defHash } = buildDefinition("cleanup", { every: "30m", retries: 3 }, "function");
 * def.policy.retries; // 3
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { KronError, ScheduleError } from "../errors.ts";
import { parseDuration } from "../schedule/duration.ts";
import { toScheduleRecord } from "../schedule/mod.ts";
import type { JobDefinitionRecord, JobKind, PolicyRecord } from "../events/mod.ts";
import type { JobOptions } from "./types.ts";
import {
  DEFAULT_POLICY,
  POLICY_FIELD_NAMES,
  POLICY_FIELDS,
  type PolicyField,
} from "../policy/mod.ts";

/** Valid job names (DESIGN §3): safe as file names, URL segments and log fields. */
export const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Policy defaults (DESIGN §3), from the policy field table (src/policy/fields.ts). */
export { DEFAULT_POLICY };

const KNOWN_OPTIONS = new Set<string>([
  "cron",
  "timezone",
  "every",
  "startAt",
  "after",
  "at",
  ...POLICY_FIELD_NAMES,
  "paused",
  "description",
]);

/**
 * Checks a job name, throwing a typed error that says what a name may contain.
 *
 * @example
 * ```ts
 * import { validateJobName } from "./definition.ts";
 * validateJobName("nightly-backup"); // ok
 * ```
 */
export function validateJobName(name: unknown): string {
  if (typeof name !== "string" || !JOB_NAME.test(name)) {
    const shown = typeof name === "string" ? JSON.stringify(name.slice(0, 80)) : String(name);
    throw new KronError(
      "invalid_name",
      `job name ${shown} is invalid: use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit`,
    );
  }
  return name;
}

// Interning identical policies keeps 100k jobs that share defaults from paying for 100k copies.
const policyCache = new Map<string, PolicyRecord>();

function invalid(job: string, message: string): KronError {
  return new KronError("invalid_option", `job "${job}": ${message}`);
}

function duration(job: string, field: string, value: unknown): number {
  try {
    return parseDuration(value as string | number, field);
  } catch (e) {
    if (e instanceof ScheduleError) throw invalid(job, e.message);
    throw e;
  }
}

function integer(job: string, field: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw invalid(job, `${field} ${JSON.stringify(value)} must be an integer ≥ ${min}`);
  }
  return value;
}

function oneOf(job: string, field: string, value: unknown, allowed: readonly string[]): string {
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw invalid(job, `${field} ${JSON.stringify(value)} must be one of ${allowed.join(", ")}`);
  }
  return value;
}

/** One policy field, checked by its kind, range and values in POLICY_FIELDS. */
function checkField(job: string, name: string, field: PolicyField, value: unknown): unknown {
  switch (field.kind) {
    case "duration": {
      const ms = duration(job, name, value);
      if (field.positive && ms <= 0) throw invalid(job, `${name} must be greater than 0`);
      return ms;
    }
    case "integer":
      return integer(job, name, value, field.min);
    case "enum":
      // koku's `overlap = true/false` means allow/skip.
      if (field.booleans !== undefined && typeof value === "boolean") {
        return value ? field.booleans.true : field.booleans.false;
      }
      return oneOf(job, name, value, field.values);
  }
}

/**
 * Validates and normalises the policy part of `opts` (durations to ms, defaults filled in), by
 * the policy field table (src/policy/fields.ts) the job-file validator checks against too.
 *
 * @example
 * ```ts
 * import { normalizePolicy } from "./definition.ts";
 * normalizePolicy("a", { timeout: "5m" }).timeoutMs; // 300_000
 * ```
 */
export function normalizePolicy(job: string, opts: JobOptions): PolicyRecord {
  const p: Record<string, unknown> = { ...DEFAULT_POLICY };
  for (const name of POLICY_FIELD_NAMES) {
    const value = opts[name];
    if (value !== undefined) {
      p[POLICY_FIELDS[name].record] = checkField(job, name, POLICY_FIELDS[name], value);
    }
  }
  // The one rule across fields (the validator says it with the file's spelling).
  if (opts.downAfter !== undefined && opts.grace === undefined) {
    throw invalid(job, `downAfter needs a grace`);
  }
  const key = JSON.stringify(p);
  let shared = policyCache.get(key);
  if (!shared) {
    shared = Object.freeze(p) as unknown as PolicyRecord;
    if (policyCache.size < 10_000) policyCache.set(key, shared);
  }
  return shared;
}

/** Extra, executor-specific parts of a definition (command jobs). */
export interface DefinitionExtras {
  command?: string | string[] | null;
  env?: Record<string, string> | null;
}

const NO_NAMES: string[] = Object.freeze([]) as unknown as string[];

/**
 * Validates everything and builds the persisted definition and its hash. Throws a
 * {@link KronError} (`invalid_name`, `invalid_option`, `invalid_schedule`) naming the job.
 *
 * @example
 * ```ts
 * import { buildDefinition } from "./definition.ts";
 * buildDefinition("d", { cron: "0 8 * * *", timezone: "Europe/Rome" }, "function").def.schedule;
 * // { cron: "0 8 * * *", timezone: "Europe/Rome" }
 * ```
 */
export function buildDefinition(
  name: string,
  opts: JobOptions,
  kind: JobKind,
  extras: DefinitionExtras = {},
): { def: JobDefinitionRecord; defHash: string } {
  validateJobName(name);
  if (opts === null || typeof opts !== "object") throw invalid(name, "options must be an object");
  for (const key of Object.keys(opts)) {
    if (!KNOWN_OPTIONS.has(key)) throw invalid(name, `unknown option "${key}"`);
  }
  let schedule;
  try {
    schedule = toScheduleRecord(opts);
  } catch (e) {
    if (e instanceof KronError) throw new KronError(e.code, `job "${name}": ${e.message}`);
    throw e;
  }
  if (opts.paused !== undefined && typeof opts.paused !== "boolean") {
    throw invalid(name, `paused must be true or false`);
  }
  if (opts.description !== undefined && typeof opts.description !== "string") {
    throw invalid(name, `description must be a string`);
  }
  const env = extras.env ?? null;
  const envNames = env ? Object.keys(env).sort() : NO_NAMES;
  const def: JobDefinitionRecord = {
    kind,
    schedule,
    policy: normalizePolicy(name, opts),
    description: opts.description ?? null,
    command: extras.command ?? null,
    envNames,
    // Events never hold secret values: only names and a hash that reveals a change.
    envHash: env ? hash(JSON.stringify(envNames.map((k) => [k, env[k]]))) : null,
  };
  const text = JSON.stringify([def, opts.paused ?? false]);
  // Jobs with identical definitions share one (frozen) record and hash string: 100k jobs on a
  // handful of schedules then pay for a handful of records, not 100k, and skip the sha256.
  const recent = byText.get(text);
  if (recent) return recent;
  const defHash = hash(text);
  let built = byHash.get(defHash);
  if (!built || JSON.stringify([built.def, opts.paused ?? false]) !== text) {
    Object.freeze(def.schedule);
    Object.freeze(def);
    built = { def, defHash };
    if (byHash.size < 10_000) byHash.set(defHash, built);
  }
  if (byText.size < 1_000) byText.set(text, built);
  return built;
}

/** Built definitions by hash, and (fewer: the keys are the whole text) by text. */
const byHash = new Map<string, { def: JobDefinitionRecord; defHash: string }>();
const byText = new Map<string, { def: JobDefinitionRecord; defHash: string }>();

/**
 * Short stable hash (hex) of a string.
 *
 * @example
 * ```ts
 * import { hash } from "./definition.ts";
 * hash("x").length; // 16
 * ```
 */
export function hash(text: string): string {
  // Hex of the first 8 bytes: a flat 16-character string (a slice of the 64-character digest
  // would keep the whole digest alive in every job that holds it).
  return createHash("sha256").update(text).digest().toString("hex", 0, 8);
}
