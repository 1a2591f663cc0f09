/**
 * Writing the results: one section per scenario (markdown table, SVG chart, raw JSON) under
 * an output dir (`docs/bench/` for the full run), and the page `docs/benchmarks.md`.
 *
 * @example
 * ```ts
 * import { machine, mdTable } from "./_report.ts";
 * mdTable(["a", "b"], [["1", "2"]]); // "| a | b |\n|---|---|\n| 1 | 2 |"
 * (await machine()).cores;
 * ```
 * @module
 */

/** One scenario's output. */
export interface Section {
  /** File stem under docs/bench/ (`lateness` → lateness.svg, lateness.json). */
  id: string;
  title: string;
  /** Markdown below the heading: tables and notes. */
  markdown: string;
  svg: string | null;
  data: unknown;
}

/** The machine a run happened on. */
export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  deno: string;
  v8: string;
}

/**
 * A markdown table.
 *
 * @example
 * ```ts
 * import { mdTable } from "./_report.ts";
 * mdTable(["x"], [["1"]]);
 * ```
 */
export function mdTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * What this machine is (CPU model, cores, memory, OS, Deno), for the report's header.
 *
 * @example
 * ```ts
 * import { machine } from "./_report.ts";
 * (await machine()).deno;
 * ```
 */
export async function machine(): Promise<Machine> {
  let cpu = "unknown";
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    cpu = info.match(/model name\s*:\s*(.+)/)?.[1]?.trim() ?? cpu;
  } catch { /* not Linux */ }
  let os: string = Deno.build.os;
  try {
    const rel = await Deno.readTextFile("/etc/os-release");
    os = rel.match(/PRETTY_NAME="([^"]+)"/)?.[1] ?? os;
  } catch { /* no os-release */ }
  return {
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    cpu,
    cores: navigator.hardwareConcurrency,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
    os: `${os}, kernel ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
}

/**
 * Writes each section's SVG and JSON into `dir` and the page to `page`, with links from the
 * page to the files relative to it; `dir/notes.md`, when present, is appended to the page.
 *
 * @example
 * ```ts
 * import { writeReport } from "./_report.ts";
 * await writeReport("docs/benchmarks.md", "docs/bench", "intro", []);
 * ```
 */
export async function writeReport(
  page: string,
  dir: string,
  intro: string,
  sections: Section[],
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const pageDir = page.slice(0, page.lastIndexOf("/") + 1);
  const rel = dir.startsWith(pageDir) ? dir.slice(pageDir.length) : dir;
  const parts = [intro];
  for (const s of sections) {
    await Deno.writeTextFile(`${dir}/${s.id}.json`, JSON.stringify(s.data, null, 2) + "\n");
    parts.push(`## ${s.title}`);
    if (s.svg) {
      await Deno.writeTextFile(`${dir}/${s.id}.svg`, s.svg);
      parts.push(`![${s.title}](${rel}/${s.id}.svg)`);
    }
    parts.push(s.markdown, `Raw data: [${rel}/${s.id}.json](${rel}/${s.id}.json)`);
  }
  // Hand-written analysis (what limits each figure, what was optimised) survives regeneration.
  try {
    parts.push((await Deno.readTextFile(`${dir}/notes.md`)).trim());
  } catch { /* no notes */ }
  await Deno.writeTextFile(page, parts.join("\n\n") + "\n");
}
