// Small assertions on top of node:assert (no @std/assert offline), with std-like names.
import nodeAssert from "node:assert/strict";

export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

export function assertMatch(actual: string, re: RegExp, message?: string): void {
  nodeAssert.match(actual, re, message);
}

export function assertStringIncludes(actual: string, part: string, message?: string): void {
  if (!actual.includes(part)) {
    throw new nodeAssert.AssertionError({
      message: message ?? `expected to include ${JSON.stringify(part)}:\n${actual}`,
      actual,
      expected: part,
      operator: "includes",
    });
  }
}
