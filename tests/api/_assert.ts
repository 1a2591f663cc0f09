// Assertions in the @std/assert style (JSR is not reachable), on top of node:assert/strict as the
// other test folders use.
import nodeAssert from "node:assert/strict";

export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  nodeAssert.ok(cond, msg);
}

export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  nodeAssert.match(actual, re, msg);
}

export function assertNotMatch(actual: string, re: RegExp, msg?: string): void {
  nodeAssert.doesNotMatch(actual, re, msg);
}

export async function assertRejects(
  fn: () => Promise<unknown>,
  check?: (e: unknown) => void,
): Promise<void> {
  let threw = false;
  try {
    await fn();
  } catch (e) {
    threw = true;
    check?.(e);
  }
  nodeAssert.ok(threw, "expected a rejection");
}
