/**
 * The scheduling rules, as pure functions shared by the embedded engine (src/engine), the
 * fold (src/store/reducer.ts) and the cluster (src/cluster): retry delay and jitter, the last
 * attempt, `on_error` (stop, backoff), misfire, overlap, lateness (late/down), the state
 * precedence, and the
 * builders of the RUN_* events both record, and the table of the policy fields (kinds, ranges,
 * values, defaults) the validator and the engine both check against. Nothing here reads a
 * clock, a store or a database.
 *
 * @example
 * ```ts
 * import { afterFailedAttempt, isLastAttempt } from "./mod.ts";
 * const policy = { retries: 1, retryDelayMs: 1_000, retryMaxDelayMs: 60_000 };
 * isLastAttempt(policy, 1); // false
 * afterFailedAttempt(policy, 2, Math.random); // { retry: null, dead: true }
 * ```
 * @module
 */
export { afterFailedAttempt, isLastAttempt, retryDelay, type RetryPolicy } from "./retry.ts";
export { afterLastFailure, backoffDue, type BackoffInput, type OnErrorPolicy } from "./on_error.ts";
export { decideMisfire, isMissed, type MisfireDecision, type MisfirePolicy } from "./misfire.ts";
export { decideOverlap, type OverlapPolicy } from "./overlap.ts";
export { type PauseSpan, pauseUntil } from "./pause.ts";
export {
  DEFAULT_POLICY,
  type DurationField,
  type EnumField,
  type IntegerField,
  isPolicyField,
  MISFIRE_VALUES,
  ON_ERROR_VALUES,
  OVERLAP_VALUES,
  POLICY_FIELD_NAMES,
  POLICY_FIELDS,
  type PolicyField,
  type PolicyFieldName,
} from "./fields.ts";
export { jobStateOf, STATE_PRECEDENCE, type StateFacts, type StateName } from "./state.ts";
export {
  assessLateness,
  coveredBy,
  type Health,
  type LatenessAssessment,
  type LatenessInput,
} from "./lateness.ts";
export { type FailureFacts, runDead, runFailure, runRetrying, runSkipped } from "./run_events.ts";
