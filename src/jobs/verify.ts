/**
 * The checks a job file passes before it runs: every command and `on_failure` program against
 * the `run` grant, each job's permissions against what the command line granted (narrow, never
 * widen), a shell for `shell = true` jobs. Each failure is a one-line {@link JobFileError}.
 *
 * @example
 * ```ts
 * import { verifyJobFile } from "./verify.ts";
 * import { loadJobFile } from "./job_file.ts";
 * verifyJobFile(await loadJobFile("examples/jobs.toml"), null);
 * ```
 * @module
 */
import { splitCommand } from "./argv.ts";
import { commandArgv, type CommandSpec as CommandExecSpec } from "./command.ts";
import { buildDefinition } from "../engine/mod.ts";
import { type JobDefinition, type JobFile, JobFileError } from "./job_file.ts";
import { findWidening } from "./permissions.ts";
import { type Grant, type Permissions, runAllowed } from "./grants.ts";

/**
 * Checks every command (and `on_failure` / `on_late` command) against the `run` grant. Throws a
 * {@link JobFileError} naming the file, job, program and the flag that would allow it.
 *
 * @example
 * ```ts
 * import { checkRunPermission } from "./verify.ts";
 * import { emptyPermissions } from "./grants.ts";
 * // checkRunPermission(file, { ...emptyPermissions(), run: ["rsync"] });
 * ```
 */
export function checkRunPermission(file: JobFile, permissions: Permissions): void {
  for (const job of file.jobs) {
    if (job.command) {
      const program = commandProgram(job.command.argv ?? job.command.text ?? "", job.command.shell);
      requireRun(file, job, "command", program, permissions.run);
    }
    for (const [field, hook] of [["on_failure", job.onFailure], ["on_late", job.onLate]] as const) {
      if (!hook || !("command" in hook)) continue;
      let program: string;
      try {
        program = commandProgram(hook.command, false);
      } catch (e) {
        throw new JobFileError({
          file: file.path,
          line: job.source.line,
          job: job.name,
          field,
          problem: (e instanceof Error ? e.message : String(e)).replace(
            /^command: /,
            `${field}: `,
          ),
        });
      }
      requireRun(file, job, field, program, permissions.run);
    }
  }
}

/**
 * The program a command runs: its first word, or `/bin/sh` with `shell = true`.
 *
 * @example
 * ```ts
 * import { commandProgram } from "./verify.ts";
 * commandProgram("pg_dump -Fc db", false); // "pg_dump"
 * commandProgram("a | b", true); // "/bin/sh"
 * ```
 */
export function commandProgram(command: string | string[], shell: boolean): string {
  if (shell) return "/bin/sh";
  const argv = typeof command === "string" ? splitCommand(command) : command;
  return argv[0] ?? "";
}

function requireRun(
  file: JobFile,
  job: JobDefinition,
  field: string,
  program: string,
  grant: Grant,
) {
  if (runAllowed(grant, program)) return;
  const name = program.slice(program.lastIndexOf("/") + 1) || program;
  const problem = grant === false
    ? `${field} runs ${JSON.stringify(program)} but command jobs need --allow-run ` +
      `(all programs) or --allow-run=${name}`
    : `${field} runs ${JSON.stringify(program)}, which --allow-run=${
      (grant as string[]).join(",")
    } ` +
      `does not include (add it: --allow-run=${[...(grant as string[]), name].join(",")})`;
  throw new JobFileError({ file: file.path, line: job.source.line, job: job.name, field, problem });
}

/**
 * Checks a job file the way {@link JobRuntime.apply} does before touching the engine: the
 * `--allow-run` grant (skipped when `permissions` is null), each command's words, duplicate
 * names, and the engine's own validation of every definition. Throws a {@link JobFileError}.
 *
 * @example
 * ```ts
 * import { loadJobFile } from "./job_file.ts";
 * import { verifyJobFile } from "./verify.ts";
 * verifyJobFile(await loadJobFile("jobs.toml"), null); // throws if `kron run` would refuse it
 * ```
 */
export function verifyJobFile(file: JobFile, permissions: Permissions | null): void {
  const seen = new Set<string>();
  for (const def of file.jobs) {
    const at = { file: file.path, line: def.source.line };
    if (seen.has(def.name)) {
      throw new JobFileError({ ...at, job: def.name, problem: "defined twice" });
    }
    seen.add(def.name);
    let command: string | string[] | null = null;
    if (def.command) {
      const spec = commandSpecOf(file, def);
      command = spec.command;
      try {
        commandArgv(spec);
      } catch (e) {
        throw new JobFileError({
          ...at,
          job: def.name,
          field: "command",
          problem: (e instanceof Error ? e.message : String(e)).replace(/^command: /, ""),
        });
      }
    }
    try {
      // The engine's own validation, run now so one bad definition stops the whole file.
      buildDefinition(def.name, def.options, def.command ? "command" : "function", {
        command,
        env: def.command?.env ?? null,
      });
    } catch (e) {
      throw new JobFileError({ ...at, problem: e instanceof Error ? e.message : String(e) });
    }
  }
  // After the commands parse, so a permission error never hides a syntax error.
  if (permissions) {
    checkRunPermission(file, permissions);
    checkJobPermissions(file, permissions);
    checkShell(file);
  }
}

/**
 * Checks that no function job's `permissions` asks for more than `permissions` grants (they
 * may narrow, never widen). Throws a {@link JobFileError} naming the job, the permission and the
 * flag that would grant it. Command jobs are not sandboxed by Deno, so theirs are not checked.
 *
 * @example
 * ```ts
 * import { checkJobPermissions } from "./verify.ts";
 * import { emptyPermissions } from "./grants.ts";
 * // checkJobPermissions(file, { ...emptyPermissions(), net: ["api.example.com"] });
 * ```
 */
export function checkJobPermissions(file: JobFile, permissions: Permissions): void {
  for (const job of file.jobs) {
    if (job.run === null) continue;
    const w = findWidening(permissions, job.permissions);
    if (w) {
      throw new JobFileError({
        file: file.path,
        line: job.source.line,
        job: job.name,
        field: "permissions",
        problem: w.problem,
      });
    }
  }
}

/**
 * The problem with `shell = true` jobs on a system without `/bin/sh` (a scratch image), or
 * null when there is a shell or no such job.
 *
 * @example
 * ```ts
 * import { shellProblem } from "./verify.ts";
 * // shellProblem(file) ?? "ok"
 * ```
 */
export function shellProblem(file: JobFile): { job: JobDefinition; problem: string } | null {
  const job = file.jobs.find((j) => j.command?.shell);
  if (!job || shellExists()) return null;
  return {
    job,
    problem: "shell = true runs /bin/sh -c, but there is no /bin/sh here (a scratch image " +
      "has none): write the command as words or an argv array, which need no shell",
  };
}

/** Throws the {@link shellProblem} of `file` as a {@link JobFileError}. */
function checkShell(file: JobFile): void {
  const p = shellProblem(file);
  if (p) {
    throw new JobFileError({
      file: file.path,
      line: p.job.source.line,
      job: p.job.name,
      field: "shell",
      problem: p.problem,
    });
  }
}

function shellExists(): boolean {
  try {
    return Deno.statSync("/bin/sh").isFile;
  } catch (e) {
    // Not allowed to look: assume the usual (the spawn will say otherwise).
    return !(e instanceof Deno.errors.NotFound);
  }
}

/**
 * The command executor's spec for a command job (`dir` resolved against the file).
 *
 * @example
 * ```ts
 * import { commandSpecOf } from "./verify.ts";
 * import type { JobFile } from "./job_file.ts";
 * declare const file: JobFile;
 * const spec = commandSpecOf(file, file.jobs[0]);
 * ```
 */
export function commandSpecOf(file: JobFile, def: JobDefinition): CommandExecSpec {
  const c = def.command!;
  return {
    command: c.argv ?? c.text ?? "",
    shell: c.shell,
    dir: c.dir === null ? undefined : resolveFrom(file.path, c.dir),
    env: c.env,
  };
}

/** `dir` relative to the job file's directory (absolute paths stay). */
function resolveFrom(filePath: string, dir: string): string {
  if (dir.startsWith("/")) return dir;
  const slash = filePath.lastIndexOf("/");
  const base = slash === -1 ? "." : filePath.slice(0, slash) || "/";
  return dir === "." ? base : `${base}/${dir}`;
}
