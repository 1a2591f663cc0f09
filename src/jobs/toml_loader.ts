/**
 * Reads `jobs.toml` into plain data for the validator, keeping where each table and key was
 * written so that errors can name the line. Uses toml-eslint-parser because its AST carries
 * source positions (a plain TOML parser would lose them).
 *
 * @example
 * ```ts
 * import { readTomlJobFile } from "./toml_loader.ts";
 * const raw = await readTomlJobFile("examples/jobs.toml");
 * raw.jobs[0].line; // line of the first [[job]] header
 * ```
 * @module
 */
import { getStaticTOMLValue, ParseError, parseTOML } from "toml-eslint-parser";
import type { AST } from "toml-eslint-parser";
import { suggestionSuffix } from "./did_you_mean.ts";
import { SETTINGS_FIELDS } from "./settings.ts";
import {
  DateTimeText,
  ioError,
  isPlainObject,
  JOB_FIELDS,
  JobFileError,
  type RawEntry,
  type RawJobFile,
  snakeCase,
} from "./validate.ts";

type Path = (string | number)[];

/** Where keys and tables were written, and the TOML date-times found, by path. */
interface SourceMap {
  lines: Map<string, number>;
  datetimes: Map<string, { path: Path; value: DateTimeText }>;
}

const pathKey = (path: Path): string => JSON.stringify(path);

/**
 * Reads and parses a TOML job file. Syntax errors become a {@link JobFileError} with line and
 * column; so do top-level shapes the validator cannot work with (`[job]` instead of `[[job]]`,
 * unknown top-level keys).
 *
 * @example
 * ```ts
 * import { readTomlJobFile } from "./toml_loader.ts";
 * const raw = await readTomlJobFile("jobs.toml");
 * raw.jobs.length;
 * ```
 */
export async function readTomlJobFile(path: string): Promise<RawJobFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw ioError(path, e);
  }
  return parseTomlJobFile(path, text);
}

/**
 * Parses TOML job-file text; `file` is only used in messages and `source`.
 *
 * @example
 * ```ts
 * import { parseTomlJobFile } from "./toml_loader.ts";
 * const raw = parseTomlJobFile("jobs.toml", '[[job]]\nname = "a"\nevery = "1h"\ncommand = "true"\n');
 * raw.jobs[0].fieldLine(["every"]); // 3
 * ```
 */
export function parseTomlJobFile(file: string, text: string): RawJobFile {
  let ast: AST.TOMLProgram;
  try {
    // A BOM is legal in a UTF-8 file but not a TOML character.
    ast = parseTOML(text.replace(/^\uFEFF/, ""), { tomlVersion: "1.0" });
  } catch (e) {
    if (e instanceof ParseError) {
      throw new JobFileError({
        file,
        line: e.lineNumber,
        column: e.column + 1,
        problem: `invalid TOML: ${lowerFirst(e.message)}`,
      });
    }
    // The parser recurses: a huge string or deep nesting overflows its stack. Say which file,
    // as for any other bad job file (exit 2), rather than "Maximum call stack size exceeded".
    if (e instanceof RangeError) {
      throw new JobFileError({
        file,
        problem: "invalid TOML: too deeply nested, or a value too long to parse",
      });
    }
    throw e;
  }
  const map: SourceMap = { lines: new Map(), datetimes: new Map() };
  indexProgram(ast, map);
  const root = getStaticTOMLValue(ast) as Record<string, unknown>;
  // The parser turns every date-time into a Date in UTC; put back what was written.
  for (const { path, value } of map.datetimes.values()) setAt(root, path, value);
  return toRaw(file, root, map);
}

function toRaw(file: string, root: Record<string, unknown>, map: SourceMap): RawJobFile {
  const lineOf = (path: Path) => map.lines.get(pathKey(path)) ?? null;
  const entry = (base: Path, data: unknown): RawEntry => ({
    data,
    key: null,
    line: lineOf(base),
    fieldLine: (path) => lineOf([...base, ...path]),
  });
  const fail = (path: Path, problem: string): never => {
    throw new JobFileError({ file, line: lineOf(path), problem });
  };
  for (const key of Object.keys(root)) {
    if (key === "kron" || key === "job") continue;
    let hint = suggestionSuffix(key, ["kron", "job"]);
    if (!hint && SETTINGS_FIELDS.some((f) => snakeCase(f) === key)) {
      hint = " (runtime settings go in the [kron] table)";
    } else if (!hint && JOB_FIELDS.some((f) => snakeCase(f) === key)) {
      hint = " (job fields go in a [[job]] table)";
    }
    fail([key], `unknown top-level key ${JSON.stringify(key)}${hint}`);
  }
  let settings: RawEntry | null = null;
  if ("kron" in root) {
    if (!isPlainObject(root.kron)) {
      fail(["kron"], `"kron" must be a table ([kron]), not ${describe(root.kron)}`);
    }
    settings = entry(["kron"], root.kron);
  }
  const jobs: RawEntry[] = [];
  if ("job" in root) {
    const list = root.job;
    if (!Array.isArray(list)) {
      fail(
        ["job"],
        isPlainObject(list)
          ? `"job" must be an array of tables: write [[job]], not [job]`
          : `"job" must be an array of tables ([[job]]), not ${describe(list)}`,
      );
    }
    (list as unknown[]).forEach((item, i) => {
      if (!isPlainObject(item)) {
        fail(["job", i], `"job" must hold tables ([[job]]), not ${describe(item)}`);
      }
      jobs.push(entry(["job", i], item));
    });
  }
  return { file, kind: "toml", settings, jobs };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value instanceof DateTimeText) return "a date-time";
  if (isPlainObject(value)) return "a table";
  return `a ${typeof value}`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function setAt(root: Record<string, unknown>, path: Path, value: unknown): void {
  let node: unknown = root;
  for (const step of path.slice(0, -1)) {
    node = (node as Record<string | number, unknown>)?.[step];
    if (node === undefined) return;
  }
  (node as Record<string | number, unknown>)[path[path.length - 1]] = value;
}

function record(map: SourceMap, path: Path, line: number): void {
  // First mention wins: a table's line is where it was opened.
  const key = pathKey(path);
  if (!map.lines.has(key)) map.lines.set(key, line);
}

function indexProgram(ast: AST.TOMLProgram, map: SourceMap): void {
  for (const node of ast.body[0].body) {
    if (node.type === "TOMLTable") {
      // `[[job]]` opens ["job", 0]: its prefix ["job"] is also "here" for top-level errors.
      const key = node.resolvedKey;
      for (let i = 1; i <= key.length; i++) record(map, key.slice(0, i), node.loc.start.line);
      for (const kv of node.body) indexKeyValue(map, node.resolvedKey, kv);
    } else {
      indexKeyValue(map, [], node);
    }
  }
}

function keyNames(key: AST.TOMLKey): string[] {
  return key.keys.map((k) => (k.type === "TOMLBare" ? k.name : k.value));
}

function indexKeyValue(map: SourceMap, base: Path, kv: AST.TOMLKeyValue): void {
  const names = keyNames(kv.key);
  const line = kv.loc.start.line;
  // Dotted keys (`env.PORT = …`) also open their intermediate tables on this line.
  for (let i = 1; i <= names.length; i++) record(map, [...base, ...names.slice(0, i)], line);
  indexValue(map, [...base, ...names], kv.value);
}

function indexValue(map: SourceMap, path: Path, node: AST.TOMLContentNode): void {
  if (node.type === "TOMLInlineTable") {
    for (const kv of node.body) indexKeyValue(map, path, kv);
  } else if (node.type === "TOMLArray") {
    node.elements.forEach((el, i) => {
      record(map, [...path, i], el.loc.start.line);
      indexValue(map, [...path, i], el);
    });
  } else if (
    node.kind === "offset-date-time" || node.kind === "local-date-time" ||
    node.kind === "local-date" || node.kind === "local-time"
  ) {
    // RFC 3339 allows a space between date and time; the rest of kron expects `T`.
    const text = node.datetime.replace(/^(\d{4}-\d{2}-\d{2})[ tT]/, "$1T");
    map.datetimes.set(pathKey(path), { path, value: new DateTimeText(text, node.kind) });
  }
}
