/**
 * What kind of value a job file exported, in words, for its errors. No imports: the sandbox
 * worker (_sandbox_worker.ts) loads it beside the user's module as well as the loaders.
 *
 * @example
 * ```ts
 * import { isPlainObject, typeName } from "./_value_kind.ts";
 * isPlainObject({ a: 1 }); // true
 * typeName([1]); // "an array"
 * ```
 * @module
 */

/**
 * Whether `value` is a plain table/object (not an array, date, function or class instance).
 *
 * @example
 * ```ts
 * import { isPlainObject } from "./_value_kind.ts";
 * isPlainObject({ a: 1 }); // true
 * isPlainObject([1]); // false
 * ```
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A value's kind as an error names it: "null", "an array", "a function", "an instance of Map",
 * "a string"….
 *
 * @example
 * ```ts
 * import { typeName } from "./_value_kind.ts";
 * typeName(new Map()); // "an instance of Map"
 * ```
 */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "function") return "a function";
  if (typeof value === "object") return `an instance of ${value.constructor?.name ?? "a class"}`;
  return `a ${typeof value}`;
}
