// `deno task check` step: fails when a module under src/ is over 600 lines, or the engine's
// facade (src/engine/engine.ts) over 500 (docs/design.md §2: small modules with one job each;
// the engine's work lives in its timer queue, journal, dispatch and runs, not in the facade).
//
//   deno run --allow-read scripts/check_sizes.ts

const ROOT = new URL("../", import.meta.url);

/** Line limits: every module under src/, and the few held tighter. */
export const LIMITS = {
  default: 600,
  tighter: { "src/engine/engine.ts": 500 } as Record<string, number>,
};

/** The modules over their limit, as `path: lines > limit` lines. */
export function oversized(lines: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [path, n] of lines) {
    const limit = LIMITS.tighter[path] ?? LIMITS.default;
    if (n > limit) out.push(`${path}: ${n} lines > ${limit}`);
  }
  return out;
}

function countUnder(dir: string, into: Map<string, number>): Map<string, number> {
  for (const e of Deno.readDirSync(new URL(dir, ROOT))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) countUnder(path, into);
    else if (e.name.endsWith(".ts")) {
      const text = Deno.readTextFileSync(new URL(path, ROOT));
      into.set(path, text.split("\n").length - (text.endsWith("\n") ? 1 : 0));
    }
  }
  return into;
}

if (import.meta.main) {
  const lines = countUnder("src", new Map());
  const over = oversized(lines);
  for (const line of over) console.error(`too long: ${line}`);
  if (over.length > 0) {
    console.error(`${over.length} module(s) over their line limit: split by concern`);
    Deno.exit(1);
  }
  console.log(`every module under src/ within its line limit (${lines.size} modules)`);
}
