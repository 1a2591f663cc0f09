// A strict parser of the Prometheus text exposition format (0.0.4), for checking /metrics.
// It throws on anything a Prometheus server would reject or that breaks the format's rules.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string | null;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(s: string, line: number): number {
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (s === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) {
    throw new Error(`line ${line}: bad value ${JSON.stringify(s)}`);
  }
  return Number(s);
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c === "\\" ? "\\" : "\\" + c));
}

/** Parses `name{a="x",b="y"} value [ts]`. */
function parseSample(text: string, line: number): Sample {
  let i = 0;
  while (i < text.length && /[a-zA-Z0-9_:]/.test(text[i])) i++;
  const name = text.slice(0, i);
  if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name ${JSON.stringify(name)}`);
  const labels: Record<string, string> = {};
  if (text[i] === "{") {
    i++;
    while (text[i] !== "}") {
      const start = i;
      while (i < text.length && /[a-zA-Z0-9_]/.test(text[i])) i++;
      const key = text.slice(start, i);
      if (!LABEL.test(key)) throw new Error(`line ${line}: bad label name ${JSON.stringify(key)}`);
      if (key in labels) throw new Error(`line ${line}: duplicate label ${key}`);
      if (text[i++] !== "=" || text[i++] !== '"') throw new Error(`line ${line}: expected ="`);
      let value = "";
      for (;;) {
        const c = text[i++];
        if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
        if (c === '"') break;
        if (c === "\\") {
          const e = text[i++];
          if (e === "n") value += "\n";
          else if (e === "\\" || e === '"') value += e;
          else throw new Error(`line ${line}: bad escape \\${e} in label value`);
        } else if (c === "\n") {
          throw new Error(`line ${line}: raw newline in label value`);
        } else value += c;
      }
      labels[key] = value;
      if (text[i] === ",") i++;
      else if (text[i] !== "}") throw new Error(`line ${line}: expected , or }`);
    }
    i++;
  }
  if (text[i] !== " ") throw new Error(`line ${line}: expected a space before the value`);
  const rest = text.slice(i + 1).split(" ");
  if (rest.length > 2) throw new Error(`line ${line}: trailing garbage`);
  if (rest.length === 2 && !/^-?\d+$/.test(rest[1])) throw new Error(`line ${line}: bad timestamp`);
  return { name, labels, value: parseValue(rest[0], line) };
}

function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (sample.endsWith(suffix)) {
      const f = families.get(sample.slice(0, -suffix.length));
      if (f && (f.type === "histogram" || f.type === "summary")) return f;
    }
  }
  return undefined;
}

/** Parses and validates an exposition; returns the families by name. */
export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const families = new Map<string, Family>();
  const done = new Set<string>();
  let current: Family | null = null;
  const lines = text.split("\n");
  lines.pop();
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === "") return;
    if (raw.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
      if (!m) return; // a plain comment
      const [, kind, name, rest = ""] = m;
      if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
      let f = families.get(name);
      if (!f) {
        if (done.has(name)) throw new Error(`line ${line}: ${name} appears twice`);
        f = { name, help: null, type: "untyped", samples: [] };
        families.set(name, f);
      }
      if (current && current !== f) done.add(current.name);
      current = f;
      if (kind === "HELP") {
        if (f.help !== null) throw new Error(`line ${line}: second HELP for ${name}`);
        f.help = unescapeHelp(rest);
      } else {
        if (f.samples.length > 0) throw new Error(`line ${line}: TYPE after samples of ${name}`);
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) {
          throw new Error(`line ${line}: bad type ${rest}`);
        }
        f.type = rest as Family["type"];
      }
      return;
    }
    const s = parseSample(raw, line);
    const f = familyOf(s.name, families);
    if (!f) throw new Error(`line ${line}: sample ${s.name} without HELP/TYPE`);
    if (done.has(f.name)) throw new Error(`line ${line}: samples of ${f.name} are not grouped`);
    if (current !== f) {
      if (current) done.add(current.name);
      current = f;
    }
    if (f.type === "counter" && !(s.value >= 0)) throw new Error(`line ${line}: negative counter`);
    f.samples.push(s);
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      g.buckets.push([parseValue(le, 0), s.value]);
    } else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else if (s.name === `${f.name}_count`) g.count = s.value;
    else throw new Error(`${f.name}: unexpected sample ${s.name}`);
  }
  for (const [key, g] of groups) {
    if (g.buckets.length === 0) throw new Error(`${f.name}${key}: no buckets`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (!(g.buckets[i][0] > g.buckets[i - 1][0])) {
        throw new Error(`${f.name}${key}: le not increasing`);
      }
      if (g.buckets[i][1] < g.buckets[i - 1][1]) {
        throw new Error(`${f.name}${key}: buckets not cumulative`);
      }
    }
    const last = g.buckets[g.buckets.length - 1];
    if (last[0] !== Infinity) throw new Error(`${f.name}${key}: last bucket is not +Inf`);
    if (g.sum === undefined || g.count === undefined) {
      throw new Error(`${f.name}${key}: missing _sum or _count`);
    }
    if (last[1] !== g.count) {
      throw new Error(`${f.name}${key}: +Inf bucket ${last[1]} != _count ${g.count}`);
    }
  }
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function valueOf(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
