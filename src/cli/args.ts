/**
 * A small flag parser for the CLI. node:util's `parseArgs` cannot give a flag an optional
 * value, and the permission flags need exactly that, so kron parses its own argv: it is short,
 * has no dependency (keeping `kron status` fast to start) and reports mistakes as one line
 * with a "did you mean" hint.
 *
 * Accepted forms: `--name value`, `--name=value`, `-x value`, `-x`, boolean `--name`, and `--`
 * to end the flags.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./args.ts";
 * const { flags, positionals } = parseFlags(["backup", "--limit", "5", "--json"], {
 *   limit: { type: "string" },
 *   json: { type: "boolean" },
 * }, "history");
 * // flags: { limit: "5", json: true }, positionals: ["backup"]
 * ```
 * @module
 */
import { usage } from "./errors.ts";

/**
 * One flag a command accepts.
 *
 * @example
 * ```ts
 * import type { FlagDef } from "./args.ts";
 * const follow: FlagDef = { type: "boolean", short: "f" };
 * ```
 */
export interface FlagDef {
  /** `boolean` flags take no value; `string` flags take exactly one. */
  type: "boolean" | "string";
  /** One-letter alias, without the dash (`"f"` for `-f`). */
  short?: string;
}

/**
 * The flags a command accepts, by long name (without `--`).
 *
 * @example
 * ```ts
 * import type { FlagSpec } from "./args.ts";
 * const spec: FlagSpec = { limit: { type: "string", short: "n" } };
 * ```
 */
export type FlagSpec = Record<string, FlagDef>;

/**
 * What {@link parseFlags} returns.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./args.ts";
 * const { flags, positionals } = parseFlags(["a", "--json"], { json: { type: "boolean" } }, "x");
 * ```
 */
export interface ParsedArgs {
  /** Given flags by long name: `true` for booleans, the text for strings. */
  flags: Record<string, string | boolean>;
  /** Arguments that are not flags, in order. */
  positionals: string[];
}

/**
 * Flags every command accepts.
 *
 * @example
 * ```ts
 * import { GLOBAL_FLAGS } from "./args.ts";
 * Object.keys(GLOBAL_FLAGS); // ["help", "data-dir", "log-format"]
 * ```
 */
export const GLOBAL_FLAGS: FlagSpec = {
  help: { type: "boolean", short: "h" },
  "data-dir": { type: "string" },
  "log-format": { type: "string" },
};

/**
 * Parses `args` against `spec` (plus {@link GLOBAL_FLAGS}). An unknown flag or a missing value
 * throws a usage error (exit 2) naming `command`.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./args.ts";
 * parseFlags(["-f", "web"], { follow: { type: "boolean", short: "f" } }, "logs").flags.follow; // true
 * ```
 */
export function parseFlags(args: readonly string[], spec: FlagSpec, command: string): ParsedArgs {
  const all: FlagSpec = { ...GLOBAL_FLAGS, ...spec };
  const byShort = new Map<string, string>();
  for (const [name, def] of Object.entries(all)) if (def.short) byShort.set(def.short, name);
  const flags: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else {
      const long = byShort.get(arg.slice(1, 2));
      if (long === undefined || (arg.length > 2 && all[long].type === "boolean")) {
        throw unknownFlag(arg, all, command);
      }
      name = long;
      inline = arg.length > 2 ? arg.slice(2) : undefined;
    }
    const def = all[name];
    if (!def) throw unknownFlag(arg, all, command);
    if (def.type === "boolean") {
      if (inline !== undefined) throw usage(`${command}: --${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= args.length) throw usage(`${command}: --${name} needs a value`);
      value = args[++i];
    }
    flags[name] = value;
  }
  return { flags, positionals };
}

/**
 * A string flag's value, or `undefined`.
 *
 * @example
 * ```ts
 * import { stringFlag } from "./args.ts";
 * stringFlag({ "data-dir": "/srv/kron" }, "data-dir"); // "/srv/kron"
 * ```
 */
export function stringFlag(flags: ParsedArgs["flags"], name: string): string | undefined {
  const v = flags[name];
  return typeof v === "string" ? v : undefined;
}

/**
 * A positive integer flag, or `fallback`; anything else is a usage error.
 *
 * @example
 * ```ts
 * import { intFlag } from "./args.ts";
 * intFlag({ limit: "5" }, "limit", 20, "history"); // 5
 * ```
 */
export function intFlag(
  flags: ParsedArgs["flags"],
  name: string,
  fallback: number,
  command: string,
): number {
  const v = stringFlag(flags, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    throw usage(`${command}: --${name} ${JSON.stringify(v)} must be a whole number ≥ 1`);
  }
  return Number(v);
}

/**
 * Checks the number of positional arguments; `names` describes them for the error.
 *
 * @example
 * ```ts
 * import { expectPositionals } from "./args.ts";
 * expectPositionals(["backup"], 1, 1, "trigger", "<job>"); // ok
 * ```
 */
export function expectPositionals(
  positionals: readonly string[],
  min: number,
  max: number,
  command: string,
  names: string,
): void {
  if (positionals.length < min) {
    throw usage(`kron ${command}: missing argument ${names} (see "kron ${command} --help")`);
  }
  if (positionals.length > max) {
    throw usage(
      `kron ${command}: unexpected argument ${JSON.stringify(positionals[max])} ` +
        `(see "kron ${command} --help")`,
    );
  }
}

function unknownFlag(arg: string, spec: FlagSpec, command: string) {
  const name = arg.replace(/^-+/, "").split("=")[0];
  const close = closest(name, Object.keys(spec));
  const hint = close ? ` (did you mean --${close}?)` : "";
  return usage(`kron ${command}: unknown flag ${arg.split("=")[0]}${hint}`);
}

/**
 * The candidate within edit distance 2 of `word`, or null.
 *
 * @example
 * ```ts
 * import { closest } from "./args.ts";
 * closest("jsn", ["json", "limit"]); // "json"
 * ```
 */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
