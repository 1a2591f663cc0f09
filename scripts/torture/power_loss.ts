/**
 * Power-loss simulation: copies of real data dirs are cut at random byte offsets, zero-filled
 * (a file that grew but whose data never reached the disk) and hit by random byte flips. Each
 * damaged copy must either recover (a torn tail: the state equals the fold of the intact prefix,
 * nothing acknowledged before the damage is lost) or refuse with `corrupt_log` naming the exact
 * segment and line and `kron repair`; `repair` must then leave a data dir whose state is the
 * fold of the valid prefix. A sample also goes through the real CLI (`status`, `run`): exit
 * code as documented, stderr one line, never a stack trace.
 *
 * The oracle is independent of kron's checksum code: a complete line is valid exactly when it is
 * byte-identical to the intact record that should come next (CRC-32 detects every change of up
 * to 32 bits, so kron must agree).
 *
 * @module
 */
import { FileStore } from "../../src/store/file_store.ts";
import { readDataDir, repair } from "../../src/store/mod.ts";
import type { KronState } from "../../src/store/state.ts";
import { KronError } from "../../src/errors.ts";
import { type CaseContext, kronCli, type Result, type Rng, type TortureCase } from "./_common.ts";
import { cliDataDir, engineDataDir } from "./_datadirs.ts";

interface Base {
  name: string;
  dir: string;
  segments: { name: string; bytes: Uint8Array }[];
  snapshot: Uint8Array | null;
  /** Every intact record line (without "\n"), in log order. */
  lines: string[];
  /** seq of lines[0] - 1 (the snapshot's seq, or 0). */
  startSeq: number;
}

type Damage =
  | { kind: "cut"; seg: number; at: number; zeros: number }
  | { kind: "flip"; flips: { seg: number; at: number; xor: number }[] }
  | { kind: "snapshot"; at: number; xor: number };

type Expected =
  | { outcome: "ok"; kept: number; torn: boolean }
  | { outcome: "corrupt"; seg: number; line: number; kept: number }
  | { outcome: "snapshot" };

const enc = new TextEncoder();
const dec = new TextDecoder();

function loadBase(name: string, dir: string): Base {
  const names = [...Deno.readDirSync(`${dir}/log`)].map((e) => e.name).filter((n) =>
    n.endsWith(".ndjson")
  ).sort();
  const segments = names.map((n) => ({
    name: `log/${n}`,
    bytes: Deno.readFileSync(`${dir}/log/${n}`),
  }));
  let snapshot: Uint8Array | null = null;
  try {
    snapshot = Deno.readFileSync(`${dir}/snapshot.json`);
  } catch {
    // none
  }
  const lines: string[] = [];
  for (const s of segments) {
    const text = dec.decode(s.bytes);
    if (!text.endsWith("\n") && text.length > 0) throw new Error(`${name}: base has a torn tail`);
    for (const l of text.split("\n")) if (l) lines.push(l);
  }
  const first = lines.length ? JSON.parse(lines[0]).seq : 1;
  return { name, dir, segments, snapshot, lines, startSeq: first - 1 };
}

function pickDamage(rng: Rng, base: Base): Damage {
  const last = base.segments.length - 1;
  const sizes = base.segments.map((s) => s.bytes.length);
  const total = sizes.reduce((a, b) => a + b, 0);
  const anyByte = () => {
    let at = rng.int(0, total - 1);
    let seg = 0;
    while (at >= sizes[seg]) at -= sizes[seg++];
    return { seg, at };
  };
  const r = rng.next();
  if (r < 0.35) return { kind: "cut", seg: last, at: rng.int(0, sizes[last]), zeros: 0 };
  if (r < 0.45) {
    return { kind: "cut", seg: last, at: rng.int(0, sizes[last]), zeros: rng.int(1, 4096) };
  }
  if (r < 0.8) return { kind: "flip", flips: [{ ...anyByte(), xor: rng.int(1, 255) }] };
  if (r < 0.85) {
    // The last record's own newline: indistinguishable from a torn write (documented).
    return { kind: "flip", flips: [{ seg: last, at: sizes[last] - 1, xor: rng.int(1, 255) }] };
  }
  if (r < 0.93) {
    const n = rng.int(2, 5);
    const flips = [];
    const start = anyByte();
    const burst = rng.chance(0.5);
    for (let i = 0; i < n; i++) {
      const p = burst
        ? { seg: start.seg, at: Math.min(sizes[start.seg] - 1, start.at + i) }
        : anyByte();
      flips.push({ ...p, xor: rng.int(1, 255) });
    }
    return { kind: "flip", flips };
  }
  if (r < 0.97 && last > 0) {
    const seg = rng.int(0, last - 1);
    return { kind: "cut", seg, at: rng.int(0, sizes[seg] - 1), zeros: 0 };
  }
  if (base.snapshot) {
    return { kind: "snapshot", at: rng.int(0, base.snapshot.length - 1), xor: rng.int(1, 255) };
  }
  return { kind: "flip", flips: [{ ...anyByte(), xor: rng.int(1, 255) }] };
}

function applyDamage(base: Base, d: Damage): { segs: Uint8Array[]; snapshot: Uint8Array | null } {
  const segs = base.segments.map((s) => s.bytes.slice());
  const snapshot = base.snapshot?.slice() ?? null;
  if (d.kind === "cut") {
    const cut = segs[d.seg].slice(0, d.at);
    const out = new Uint8Array(cut.length + d.zeros);
    out.set(cut);
    segs[d.seg] = out;
  } else if (d.kind === "flip") {
    for (const f of d.flips) segs[f.seg][f.at] ^= f.xor;
  } else {
    snapshot![d.at] ^= d.xor;
  }
  return { segs, snapshot };
}

/** The oracle: what recovery must say about the damaged segments. */
function expect(base: Base, segs: Uint8Array[], snapshotChanged: boolean): Expected {
  if (snapshotChanged) return { outcome: "snapshot" };
  let next = 0;
  for (let i = 0; i < segs.length; i++) {
    const text = dec.decode(segs[i]);
    const parts = text.split("\n");
    const tail = parts.pop()!;
    for (let j = 0; j < parts.length; j++) {
      // Compare bytes, not decoded text: a flipped byte may not be valid UTF-8.
      if (
        next < base.lines.length && parts[j] === base.lines[next] && !parts[j].includes("\ufffd")
      ) {
        next++;
        continue;
      }
      return { outcome: "corrupt", seg: i, line: j + 1, kept: next };
    }
    if (tail.length > 0) {
      if (i < segs.length - 1) {
        return { outcome: "corrupt", seg: i, line: parts.length + 1, kept: next };
      }
      return { outcome: "ok", kept: next, torn: true };
    }
  }
  return { outcome: "ok", kept: next, torn: false };
}

async function writeDir(dir: string, base: Base, segs: Uint8Array[], snapshot: Uint8Array | null) {
  await Deno.mkdir(`${dir}/log`, { recursive: true, mode: 0o700 });
  await Deno.copyFile(`${base.dir}/FORMAT`, `${dir}/FORMAT`);
  for (let i = 0; i < segs.length; i++) {
    await Deno.writeFile(`${dir}/${base.segments[i].name}`, segs[i], { mode: 0o600 });
  }
  if (snapshot) await Deno.writeFile(`${dir}/snapshot.json`, snapshot, { mode: 0o600 });
}

/** The intact prefix of `kept` records as a data dir of its own. */
async function prefixDir(dir: string, base: Base, kept: number): Promise<void> {
  const segs: Uint8Array[] = [];
  let left = kept;
  for (const s of base.segments) {
    const lines = dec.decode(s.bytes).split("\n").filter(Boolean);
    const take = lines.slice(0, Math.max(0, left));
    left -= take.length;
    segs.push(enc.encode(take.map((l) => l + "\n").join("")));
  }
  await writeDir(dir, base, segs, base.snapshot);
}

/** A deterministic rendering of a state, for equality. */
export function stateKey(state: KronState): string {
  const jobs = [...state.jobs.values()].sort((a, b) => a.name < b.name ? -1 : 1);
  return JSON.stringify({ seq: state.seq, jobs });
}

function oneLine(stderr: string): boolean {
  const lines = stderr.trim().split("\n");
  return lines.length === 1 && !/\n\s+at /.test(stderr) && lines[0].startsWith("error: ");
}

/** The case. */
export const power_loss: TortureCase = {
  name: "power_loss",
  title: "torn tails, cuts and byte flips in copies of real data dirs",
  async run(ctx: CaseContext, result: Result): Promise<void> {
    const n = ctx.quick ? 200 : 1_000;
    const cliSample = ctx.quick ? 6 : 30;
    const rng = ctx.rng;
    ctx.log("building base data dirs (engine on a FakeClock, and the real CLI)");
    const bases: Base[] = [];
    await engineDataDir(`${ctx.tmp}/base-a`, {
      segmentBytes: 16 * 1024,
      compactAt: 0.5,
      minutes: ctx.quick ? 4 : 10,
      seed: ctx.seed,
    });
    bases.push(loadBase("engine+snapshot, small segments", `${ctx.tmp}/base-a`));
    await engineDataDir(`${ctx.tmp}/base-b`, {
      segmentBytes: 1 << 24,
      compactAt: null,
      minutes: ctx.quick ? 2 : 5,
      seed: ctx.seed + 1,
    });
    bases.push(loadBase("engine, one segment", `${ctx.tmp}/base-b`));
    const cliDir = await cliDataDir(`${ctx.tmp}/base-c`, ctx.quick ? 800 : 2000);
    bases.push(loadBase("CLI-written", cliDir));
    result.figure(
      "base records",
      bases.map((b) => `${b.lines.length}/${b.segments.length}seg`).join("+"),
    );
    Deno.writeTextFileSync(
      `${ctx.tmp}/jobs.toml`,
      `[[job]]\nname = "x"\nevery = "1h"\ncommand = ["true"]\n`,
    );
    const counts = { recovered: 0, torn: 0, refused: 0, snapshot: 0, repaired: 0, cli: 0 };
    const sampleEvery = Math.max(1, Math.floor(n / cliSample));
    for (let i = 0; i < n; i++) {
      const base = bases[i % bases.length];
      const damage = pickDamage(rng, base);
      const { segs, snapshot } = applyDamage(base, damage);
      const exp = expect(base, segs, damage.kind === "snapshot");
      const dir = `${ctx.tmp}/case`;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await writeDir(dir, base, segs, snapshot);
      const what = `case ${i} (${base.name}, ${JSON.stringify(damage)})`;
      result.count();
      // The CLI first (for a sample), while the damage is untouched by recovery.
      if (i % sampleEvery === 0) {
        counts.cli++;
        const st = await kronCli(["status"], { cwd: ctx.tmp, dataDir: dir });
        if (exp.outcome === "ok") {
          result.check(st.code === 0, `${what}: status exit ${st.code}: ${st.stderr}`);
        } else {
          result.check(
            st.code !== 0 && oneLine(st.stderr),
            `${what}: status on a corrupt dir: exit ${st.code}, stderr ${
              JSON.stringify(st.stderr)
            }`,
          );
          const run = await kronCli(["run", "jobs.toml", "--allow-run"], {
            cwd: ctx.tmp,
            dataDir: dir,
          }, 20_000);
          result.check(
            run.code !== 0 && oneLine(run.stderr) && /kron repair/.test(run.stderr),
            `${what}: run on a corrupt dir: exit ${run.code}, stderr ${JSON.stringify(run.stderr)}`,
          );
        }
      }
      let opened: KronState | null = null;
      let error: unknown = null;
      const store = new FileStore({ dataDir: dir, durability: "none" });
      try {
        const { state, report } = await store.open();
        opened = state;
        if (exp.outcome === "ok") {
          result.check(
            (report.truncated !== null) === exp.torn,
            `${what}: truncated ${JSON.stringify(report.truncated)} but torn=${exp.torn}`,
          );
        }
      } catch (e) {
        error = e;
      } finally {
        await store.close().catch(() => {});
      }
      if (exp.outcome === "ok") {
        if (!result.check(opened !== null, () => `${what}: expected recovery, got ${error}`)) {
          continue;
        }
        const pdir = `${ctx.tmp}/prefix`;
        await Deno.remove(pdir, { recursive: true }).catch(() => {});
        await prefixDir(pdir, base, exp.kept);
        const want = (await readDataDir(pdir)).state;
        result.check(
          stateKey(opened!) === stateKey(want),
          `${what}: recovered state differs from the fold of the intact prefix (${exp.kept} records)`,
        );
        counts.recovered++;
        if (exp.torn) counts.torn++;
        continue;
      }
      // Refused: exactly where, and how to get out.
      const msg = error instanceof Error ? error.message : String(error);
      if (
        !result.check(
          error instanceof KronError && error.code === "corrupt_log",
          `${what}: expected corrupt_log, got ${opened ? "a recovered state" : msg}`,
        )
      ) continue;
      if (exp.outcome === "snapshot") {
        result.check(
          /snapshot\.json/.test(msg),
          `${what}: message does not name snapshot.json: ${msg}`,
        );
        counts.snapshot++;
      } else {
        const where = `${dir}/${base.segments[exp.seg].name} line ${exp.line} `;
        result.check(
          msg.includes(where) && msg.includes("kron repair"),
          `${what}: expected "${where}", got: ${msg}`,
        );
        counts.refused++;
      }
      // The documented way out: repair keeps the valid prefix (and a backup).
      try {
        const rep = await repair(dir);
        result.check(rep.backupDir !== null, `${what}: repair made no backup`);
        const after = await readDataDir(dir);
        if (exp.outcome === "corrupt") {
          const pdir = `${ctx.tmp}/prefix`;
          await Deno.remove(pdir, { recursive: true }).catch(() => {});
          await prefixDir(pdir, base, exp.kept);
          const want = (await readDataDir(pdir)).state;
          result.check(
            stateKey(after.state) === stateKey(want),
            `${what}: state after repair differs from the fold of the valid prefix`,
          );
        }
        const reopen = new FileStore({ dataDir: dir, durability: "none" });
        await reopen.open();
        await reopen.close();
        counts.repaired++;
      } catch (e) {
        result.fail(`${what}: repair failed: ${e instanceof Error ? e.message : e}`);
      }
    }
    result.figure("damaged copies", n);
    result.figure("recovered", counts.recovered);
    result.figure("of which torn", counts.torn);
    result.figure("refused at segment+line", counts.refused);
    result.figure("refused (snapshot)", counts.snapshot);
    result.figure("repaired", counts.repaired);
    result.figure("CLI samples", counts.cli);
  },
};
