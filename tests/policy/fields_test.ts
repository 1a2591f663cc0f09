// The policy field table (src/policy/fields.ts) drives both checkers: the job-file validator
// (src/jobs/validate.ts) and the engine's normalizePolicy (src/engine/definition.ts). For every
// field, the same good values pass both and normalise alike, and the same bad ones fail both.
import { assert, assertEquals } from "../api/_assert.ts";
import { DEFAULT_POLICY, POLICY_FIELD_NAMES, POLICY_FIELDS } from "../../src/policy/mod.ts";
import { normalizePolicy } from "../../src/engine/mod.ts";
import { JobFileError } from "../../src/jobs/mod.ts";
import { validateJobFile } from "../../src/jobs/validate.ts";
import { KronError } from "../../src/errors.ts";

function throwsA(fn: () => unknown, cls: new (...a: never[]) => Error, label: string): void {
  try {
    fn();
  } catch (e) {
    assert(e instanceof cls, `${label}: threw ${e}, not a ${cls.name}`);
    return;
  }
  assert(false, `${label}: accepted`);
}

/** Validates one TS job with `extra` set, as a jobs.ts file would write it. */
function validate(extra: Record<string, unknown>) {
  return validateJobFile({
    file: "jobs.ts",
    kind: "ts",
    settings: null,
    jobs: [{
      key: "j",
      line: null,
      fieldLine: () => null,
      data: { every: "1h", run: () => {}, ...extra },
    }],
  }).jobs[0].options;
}

const GOOD: Record<string, unknown[]> = {
  duration: ["30s", "2m", 1500],
  integer: [5],
  enum: [],
};
const BAD: Record<string, unknown[]> = {
  duration: ["soon", true, -5],
  integer: [1.5, "3", -1],
  enum: ["nope", 3],
};

Deno.test("DEFAULT_POLICY comes from the table, in PolicyRecord's key order (the hash depends on it)", () => {
  assertEquals(
    JSON.stringify(DEFAULT_POLICY),
    JSON.stringify({
      timeoutMs: null,
      retries: 0,
      retryDelayMs: 1_000,
      retryMaxDelayMs: 3_600_000,
      overlap: "skip",
      onError: "continue",
      maxFailures: 3,
      misfire: "run_once",
      misfireGraceMs: 3_600_000,
      jitterMs: 0,
      historyLimit: 200,
    }),
  );
  assertEquals(JSON.stringify(normalizePolicy("j", {})), JSON.stringify(DEFAULT_POLICY));
});

Deno.test("the validator and normalizePolicy accept and refuse the same values of every field", () => {
  for (const name of POLICY_FIELD_NAMES) {
    const field = POLICY_FIELDS[name];
    const good = field.kind === "enum"
      ? [...field.values, ...("booleans" in field ? [true, false] : [])]
      : field.kind === "integer"
      ? [field.min, ...GOOD.integer]
      : GOOD.duration;
    // downAfter needs a grace: the one rule across fields, said by both.
    const with_ = name === "downAfter" ? { grace: "1m" } : {};
    for (const value of good) {
      const options = validate({ ...with_, [name]: value });
      const fromFile = normalizePolicy("j", options);
      const direct = normalizePolicy("j", { ...with_, [name]: value });
      assertEquals(fromFile, direct, `${name} = ${JSON.stringify(value)}`);
      if (field.kind === "enum" && typeof value === "string") {
        assertEquals(direct[field.record], value);
      }
    }
    const bad = [
      ...BAD[field.kind],
      ...(field.kind === "integer" ? [field.min - 1] : []),
      ...(field.kind === "duration" && field.positive ? ["0s"] : []),
      ...(field.kind === "enum" && !("booleans" in field) ? [true] : []),
    ];
    for (const value of bad) {
      const shown = `${name} = ${JSON.stringify(value)}`;
      throwsA(() => validate({ ...with_, [name]: value }), JobFileError, shown);
      throwsA(() => normalizePolicy("j", { ...with_, [name]: value } as never), KronError, shown);
    }
    if (name === "downAfter") {
      throwsA(() => validate({ downAfter: "5m" }), JobFileError, "downAfter without grace");
      throwsA(
        () => normalizePolicy("j", { downAfter: "5m" }),
        KronError,
        "downAfter without grace",
      );
    }
  }
});
