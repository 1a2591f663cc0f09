/**
 * The policy fields of a job, listed once: for each, its kind (duration, integer, one of a
 * list), its range, its enumerated values, its default and the {@link PolicyRecord} key (and
 * unit) it is stored under. The job-file validator (src/jobs/validate.ts, with file and line)
 * and the library's normalisation (`normalizePolicy`, src/engine/definition.ts) both check
 * against this table, and `DEFAULT_POLICY` is derived from it.
 *
 * @example
 * ```ts
 * import { DEFAULT_POLICY, POLICY_FIELDS } from "./fields.ts";
 * POLICY_FIELDS.retries.min; // 0
 * DEFAULT_POLICY.misfireGraceMs; // 3_600_000
 * ```
 * @module
 */
import type { PolicyRecord } from "../events/mod.ts";

/**
 * `overlap`: what a due occurrence does while its job is busy (koku's `true`/`false` mean
 * `allow`/`skip`, see {@link POLICY_FIELDS}).
 *
 * @example
 * ```ts
 * import { OVERLAP_VALUES } from "./fields.ts";
 * OVERLAP_VALUES[0]; // "skip", the default
 * ```
 */
export const OVERLAP_VALUES = ["skip", "allow", "replace"] as const;

/**
 * `on_error`: what a failed occurrence does to its job.
 *
 * @example
 * ```ts
 * import { ON_ERROR_VALUES } from "./fields.ts";
 * ON_ERROR_VALUES[0]; // "continue", the default
 * ```
 */
export const ON_ERROR_VALUES = ["continue", "backoff", "stop"] as const;

/**
 * `misfire`: what happens to occurrences missed while kron was down.
 *
 * @example
 * ```ts
 * import { MISFIRE_VALUES } from "./fields.ts";
 * MISFIRE_VALUES[0]; // "run_once", the default
 * ```
 */
export const MISFIRE_VALUES = ["run_once", "skip"] as const;

/** A duration field: written "30s" (or ms in TS), stored in milliseconds. */
export interface DurationField {
  kind: "duration";
  record: keyof PolicyRecord;
  unit: "ms";
  /** Zero refused (`timeout = "0s"` would abort every run at once). */
  positive: boolean;
  default: number | null;
  /**
   * Absent from the record (not null) while unset, so definitions written before the field
   * existed keep their hash; not in `DEFAULT_POLICY`.
   */
  optional?: boolean;
}

/** An integer field, at least `min`. */
export interface IntegerField {
  kind: "integer";
  record: keyof PolicyRecord;
  min: number;
  default: number;
}

/** One of `values`; `booleans` maps koku's `true`/`false` where they are accepted. */
export interface EnumField {
  kind: "enum";
  record: keyof PolicyRecord;
  values: readonly string[];
  booleans?: { true: string; false: string };
  default: string;
}

/** How one policy field is written, checked and stored. */
export type PolicyField = DurationField | IntegerField | EnumField;

/**
 * The policy fields by their camelCase name (TOML writes them in snake_case), in the key order
 * of {@link PolicyRecord}: `DEFAULT_POLICY` is built in this order, and a definition's hash
 * depends on it.
 *
 * @example
 * ```ts
 * import { POLICY_FIELDS } from "./fields.ts";
 * POLICY_FIELDS.overlap.values; // ["skip", "allow", "replace"]
 * ```
 */
export const POLICY_FIELDS = {
  timeout: { kind: "duration", record: "timeoutMs", unit: "ms", positive: true, default: null },
  retries: { kind: "integer", record: "retries", min: 0, default: 0 },
  retryDelay: {
    kind: "duration",
    record: "retryDelayMs",
    unit: "ms",
    positive: false,
    default: 1_000,
  },
  retryMaxDelay: {
    kind: "duration",
    record: "retryMaxDelayMs",
    unit: "ms",
    positive: false,
    default: 3_600_000,
  },
  overlap: {
    kind: "enum",
    record: "overlap",
    values: OVERLAP_VALUES,
    booleans: { true: "allow", false: "skip" },
    default: "skip",
  },
  onError: { kind: "enum", record: "onError", values: ON_ERROR_VALUES, default: "continue" },
  maxFailures: { kind: "integer", record: "maxFailures", min: 1, default: 3 },
  misfire: { kind: "enum", record: "misfire", values: MISFIRE_VALUES, default: "run_once" },
  misfireGrace: {
    kind: "duration",
    record: "misfireGraceMs",
    unit: "ms",
    positive: false,
    default: 3_600_000,
  },
  jitter: { kind: "duration", record: "jitterMs", unit: "ms", positive: false, default: 0 },
  historyLimit: { kind: "integer", record: "historyLimit", min: 1, default: 200 },
  // Late and down (src/policy/lateness.ts); `downAfter` needs a `grace` (both checkers say so).
  grace: {
    kind: "duration",
    record: "graceMs",
    unit: "ms",
    positive: false,
    default: null,
    optional: true,
  },
  downAfter: {
    kind: "duration",
    record: "downAfterMs",
    unit: "ms",
    positive: false,
    default: null,
    optional: true,
  },
} as const satisfies Record<string, PolicyField>;

/** The name of a policy field (camelCase). */
export type PolicyFieldName = keyof typeof POLICY_FIELDS;

/**
 * The policy field names, in table order.
 *
 * @example
 * ```ts
 * import { POLICY_FIELD_NAMES } from "./fields.ts";
 * POLICY_FIELD_NAMES.includes("jitter"); // true
 * ```
 */
export const POLICY_FIELD_NAMES = Object.keys(POLICY_FIELDS) as PolicyFieldName[];

/**
 * True when `name` is a policy field.
 *
 * @example
 * ```ts
 * import { isPolicyField } from "./fields.ts";
 * isPolicyField("retries"); // true
 * isPolicyField("cron"); // false
 * ```
 */
export function isPolicyField(name: string): name is PolicyFieldName {
  return Object.hasOwn(POLICY_FIELDS, name);
}

function isOptional(field: PolicyField): boolean {
  return field.kind === "duration" && field.optional === true;
}

/**
 * Policy defaults (DESIGN §3), from {@link POLICY_FIELDS} (the optional fields are absent).
 *
 * @example
 * ```ts
 * import { DEFAULT_POLICY } from "./fields.ts";
 * DEFAULT_POLICY.overlap; // "skip"
 * ```
 */
export const DEFAULT_POLICY: Readonly<PolicyRecord> = Object.freeze(
  Object.fromEntries(
    POLICY_FIELD_NAMES.filter((n) => !isOptional(POLICY_FIELDS[n]))
      .map((n) => [POLICY_FIELDS[n].record, POLICY_FIELDS[n].default]),
  ),
) as unknown as PolicyRecord;
