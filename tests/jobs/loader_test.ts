// Job files: jobs.toml and jobs.ts load into one shape; every malformed file under
// fixtures/bad/ fails with exactly one expected one-line message.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { KronError } from "../../src/errors.ts";
import { defineJobs } from "../../src/jobs/define.ts";
import { didYouMean, editDistance } from "../../src/jobs/did_you_mean.ts";
import {
  describeSchedule,
  type JobDefinition,
  JobFileError,
  jobFileKind,
  loadJobFile,
} from "../../src/jobs/job_file.ts";
import { parseHostPort } from "../../src/jobs/settings.ts";
import { fileUrl } from "../../src/jobs/ts_loader.ts";

const here = (path: string) => new URL(path, import.meta.url).pathname;
const BAD = here("./fixtures/bad/");
const GOOD = here("./fixtures/good/");
const EXAMPLES = here("../../examples/");

async function loadError(path: string): Promise<JobFileError> {
  try {
    await loadJobFile(path);
  } catch (e) {
    if (e instanceof JobFileError) return e;
    throw new Error(`${path}: expected a JobFileError, got ${e}`);
  }
  throw new Error(`${path}: loaded, but it should have failed`);
}

/** File in fixtures/bad/ → the message after its path. Exact: a change of wording must show. */
const BAD_FILES: Record<string, string> = {
  // TOML syntax and top-level shape
  "syntax_error.toml": ":3:15: invalid TOML: unterminated string constant",
  "dupe_key.toml": ":5:1: invalid TOML: defining a key multiple times is invalid",
  "job_not_array.toml": `:2: "job" must be an array of tables: write [[job]], not [job]`,
  "jobs_typo.toml": `:1: unknown top-level key "jobs" (did you mean "job"?)`,
  "setting_at_top.toml":
    `:2: unknown top-level key "timezone" (runtime settings go in the [kron] table)`,
  "kron_array.toml": `:1: "kron" must be a table ([kron]), not an array`,
  // [kron]
  "kron_unknown.toml": `:2: [kron]: unknown field "data_dri" (did you mean "data_dir"?)`,
  "kron_log_format.toml": `:2: [kron]: log_format "xml" must be one of "text", "json"`,
  "kron_http.toml": `:2: [kron]: http "8080" must be "host:port" (e.g. "127.0.0.1:8080")`,
  "kron_sandbox_workers.toml": `:2: [kron]: sandbox_workers 0 must be an integer ≥ 1`,
  "isolate_in_toml.toml":
    `:5: job "backup": isolate is for TS jobs (a worker of their own); a command job is its own process already`,
  "kron_durability.toml":
    `:2: [kron]: durability "sometimes" must be one of "fsync", "batch", "none"`,
  "kron_timezone.toml":
    `:2: [kron]: timezone "Mars/Olympus_Mons" is not a known time zone (e.g. "Europe/Rome", "UTC")`,
  // names
  "missing_name.toml": `:7: job #2: missing field "name"`,
  "name_not_string.toml": ":2: job #1: name 42 must be a string",
  "name_path.toml": `:3: job #1: invalid job name "../etc/passwd": ${nameRule()}`,
  "name_space.toml": `:2: job #1: invalid job name "nightly backup": ${nameRule()}`,
  "name_unicode.toml": `:2: job #1: invalid job name "café": ${nameRule()}`,
  "name_nul.toml": `:2: job #1: invalid job name "a\\u0000b": ${nameRule()}`,
  "name_too_long.toml": `:2: job #1: invalid job name "${"a".repeat(59)}…": ${nameRule()}`,
  "duplicate_name.toml": `:8: job "backup": duplicate name (already defined at line 3)`,
  // unknown fields
  "unknown_field.toml": `:6: job "backup": unknown field "retires" (did you mean "retries"?)`,
  "unknown_field_far.toml": `:6: job "backup": unknown field "colour"`,
  "camel_case_key.toml":
    `:6: job "backup": unknown field "retryDelay" (did you mean "retry_delay"?)`,
  "run_in_toml.toml":
    `:5: job "backup": unknown field "run" (TOML jobs run a command: command = "…")`,
  // schedules
  "no_schedule.toml": `:1: job "backup": no schedule: set one of cron, every, after, at`,
  "two_schedules.toml":
    `:4: job "backup": both cron and every are set: set exactly one of cron, every, after, at`,
  "bad_cron.toml": `:3: job "backup": cron: 5th field 'foo' is not a weekday`,
  "bad_every.toml":
    `:3: job "sync": every "5 minutes" is not a duration (try "5m"; units are ms, s, m, h, d, w)`,
  "bad_timezone.toml":
    `:4: job "backup": timezone "Europe/Rme" is not a known time zone (did you mean "Europe/Rome"?)`,
  "start_at_with_cron.toml": `:4: job "backup": start_at applies only to every jobs`,
  "at_time_only.toml":
    `:4: job "migrate": at 03:00:00 has no date (write e.g. 2026-03-01T03:00:00)`,
  "at_bad_string.toml":
    `:3: job "migrate": at "tomorrow" is not a date (use ISO 8601, e.g. "2026-12-01T09:00:00Z")`,
  "at_impossible_date.toml":
    `:3: job "migrate": at "2026-02-30T03:00:00Z" is not a date (use ISO 8601, e.g. "2026-12-01T09:00:00Z")`,
  "timezone_with_every.toml": `:5: job "sync": timezone: only applies to cron schedules, not every`,
  // commands
  "no_command.toml": `:1: job "backup": missing field "command"`,
  "command_empty_array.toml": `:4: job "backup": command is an empty array`,
  "command_number.toml": `:4: job "backup": command 42 must be a string or an array of strings`,
  "command_array_item.toml": `:7: job "backup": command[2] 3 must be a string`,
  "shell_not_bool.toml": `:5: job "backup": shell "yes" must be true or false`,
  "shell_with_array.toml": `:5: job "backup": shell = true needs command as a string, not an array`,
  "command_unterminated_quote.toml": `:4: job "backup": command: unterminated single quote`,
  "on_failure_nul.toml": `:5: job "backup": on_failure: contains a NUL character`,
  "env_not_string.toml": `:8: job "api": env.PORT 8080 must be a string`,
  "env_not_table.toml": `:5: job "api": env "PORT=8080" must be a table of strings`,
  // policies
  "bad_timeout.toml":
    `:5: job "backup": timeout "30x" is not a duration (try "30m"; units are ms, s, m, h, d, w)`,
  "timeout_number.toml": `:6: job "backup": timeout 30 must be a duration string such as "30s"`,
  "timeout_zero.toml": `:5: job "backup": timeout "0s" must be greater than 0`,
  "negative_retries.toml": `:5: job "backup": retries -1 must be an integer ≥ 0`,
  "float_retries.toml": `:5: job "backup": retries 1.5 must be an integer ≥ 0`,
  "string_retries.toml": `:5: job "backup": retries "3" must be an integer ≥ 0`,
  "max_failures_zero.toml": `:6: job "backup": max_failures 0 must be an integer ≥ 1`,
  "history_limit_float.toml": `:5: job "backup": history_limit 2.5 must be an integer ≥ 1`,
  "retry_max_below_delay.toml":
    `:6: job "backup": retry_max_delay "1m" is shorter than retry_delay "10m"`,
  "bad_on_error.toml":
    `:5: job "backup": on_error "retry" must be one of "continue", "backoff", "stop"`,
  "bad_overlap.toml":
    `:5: job "backup": overlap "queue" must be one of "skip", "allow", "replace" (or true = allow, false = skip)`,
  "bad_misfire.toml": `:5: job "backup": misfire "catch_up" must be one of "run_once", "skip"`,
  "description_number.toml": `:3: job "backup": description 42 must be a string`,
  "paused_string.toml": `:5: job "backup": paused "true" must be true or false`,
  // permissions and on_failure
  "permissions_shape.toml":
    `:5: job "api": permissions.net "api.example.com" must be true, false or an array of strings`,
  "permissions_unknown.toml":
    `:8: job "api": permissions has unknown permission "reed" (did you mean "read"?)`,
  "on_failure_bad_url.toml":
    `:5: job "backup": on_failure "https://" is not a valid http(s):// URL`,
  "on_failure_scheme.toml":
    `:5: job "backup": on_failure "ftp://hooks.example.com/kron" is not a valid http(s):// URL`,
  // late/down and watched jobs
  "watch_with_command.toml":
    `:4: job "backup": watch = true: kron does not run a watched job, remove command`,
  "watch_without_schedule.toml":
    `:3: job "backup": watch = true needs a schedule (when to expect it): set one of cron, every, after, at`,
  "watch_not_boolean.toml": `:4: job "backup": watch "yes" must be true or false`,
  "down_after_without_grace.toml":
    `:5: job "backup": down_after needs a grace: set grace (or a default in [kron])`,
  "on_late_without_grace.toml":
    `:5: job "backup": on_late needs a grace: without one the job is never late`,
  "bad_grace.toml":
    `:5: job "backup": grace "soon" is not a duration (try "30m"; units are ms, s, m, h, d, w)`,
  "kron_grace.toml": `:2: [kron]: grace -1 must be a duration string such as "30s"`,
  "ts_watch_with_run.ts":
    `: job "backup": watch: true: kron does not run a watched job, remove run`,
  // TS modules
  "ts_throws.ts": ":3:9: cannot import: Error: DATABASE_URL is not set",
  "ts_no_default.ts":
    ": no default export: export default { jobName: { cron: …, run: (ctx) => … } }",
  "ts_default_number.ts":
    ": the default export must be an object mapping job names to definitions, not a number",
  "ts_default_array.ts":
    ": the default export must be an object mapping job names to definitions, not an array",
  "ts_default_function.ts":
    ": the default export must be an object mapping job names to definitions, not a function",
  "ts_kron_not_object.ts": `: the "kron" export must be an object of settings, not a string`,
  "ts_kron_bad.ts": `: kron: logFormat "xml" must be one of "text", "json"`,
  "ts_invalid_name.ts": `: job #1: invalid job name "../backup": ${nameRule()}`,
  "ts_job_not_object.ts":
    `: job "backup": definition "0 2 * * *" must be an object with a schedule and run`,
  "ts_name_field.ts":
    `: job "backup": unknown field "name" (the job's name is its key in the default export)`,
  "ts_snake_case.ts": `: job "backup": unknown field "retry_delay" (did you mean "retryDelay"?)`,
  "ts_negative_retries.ts": `: job "backup": retries -1 must be an integer ≥ 0`,
  "ts_no_run.ts": `: job "backup": no run function or command: set run: (ctx) => … or command`,
  "ts_run_and_command.ts": `: job "backup": both run and command are set: set one`,
  "ts_run_not_function.ts": `: job "backup": run "bash backup.sh" must be a function`,
  "ts_dir_without_command.ts": `: job "backup": dir applies only to command jobs`,
  "ts_every_negative.ts": `: job "tick": every -5 is not a duration (a number of ms ≥ 0)`,
  "ts_at_invalid_date.ts": `: job "once": at: Invalid Date is not a date`,
  "ts_at_wrong_type.ts":
    `: job "once": at true must be a Date, an ISO date-time string or epoch milliseconds`,
  "ts_env_number.ts": `: job "api": env.PORT 8080 must be a string`,
  "ts_overlap_bad.ts":
    `: job "backup": overlap "queue" must be one of "skip", "allow", "replace" (or true = allow, false = skip)`,
};

function nameRule(): string {
  return "use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit";
}

Deno.test("every bad fixture fails with its exact one-line message", async () => {
  const onDisk = [...Deno.readDirSync(BAD)].map((e) => e.name).sort();
  // The table and the folder must agree, so no fixture goes untested.
  assertEquals(onDisk, Object.keys(BAD_FILES).sort());
  assert(onDisk.length >= 30);
  for (const name of onDisk) {
    const e = await loadError(BAD + name);
    assertEquals(e.message, BAD + name + BAD_FILES[name], name);
    assert(!e.message.includes("\n"), `${name}: message has a newline`);
    assertEquals(e.code, "invalid_option");
  }
});

Deno.test("JobFileError carries file, line, job and field", async () => {
  const e = await loadError(BAD + "bad_timeout.toml");
  assert(e instanceof KronError);
  assertEquals(
    [e.file, e.line, e.column, e.job, e.field],
    [BAD + "bad_timeout.toml", 5, null, "backup", "timeout"],
  );
  const nested = await loadError(BAD + "env_not_string.toml");
  assertEquals([nested.line, nested.job, nested.field], [8, "api", "env.PORT"]);
  const ts = await loadError(BAD + "ts_negative_retries.ts");
  assertEquals([ts.line, ts.job, ts.field], [null, "backup", "retries"]);
  const syntax = await loadError(BAD + "syntax_error.toml");
  assertEquals([syntax.line, syntax.column, syntax.job], [3, 15, null]);
});

Deno.test("a path is reported as given: relative stays relative", async () => {
  const cwd = Deno.cwd();
  Deno.chdir(here("./fixtures/"));
  try {
    const e = await loadError("bad/unknown_field.toml");
    assertEquals(
      e.message,
      `bad/unknown_field.toml:6: job "backup": unknown field "retires" (did you mean "retries"?)`,
    );
    const ts = await loadError("./bad/ts_negative_retries.ts");
    assertEquals(
      ts.message,
      `./bad/ts_negative_retries.ts: job "backup": retries -1 must be an integer ≥ 0`,
    );
    assertEquals((await loadJobFile("good/koku.toml")).jobs[0].source, {
      file: "good/koku.toml",
      line: 1,
    });
  } finally {
    Deno.chdir(cwd);
  }
});

Deno.test("a TS file with a syntax error names the file, line and the error's first line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Written here, not kept as a fixture: `deno fmt`/`lint`/`check` of tests/ would choke on it.
    await Deno.writeTextFile(
      `${dir}/jobs.ts`,
      'export default {\n  a: { every: "1h" }\n  b: 1,\n};\n',
    );
    const e = await loadError(`${dir}/jobs.ts`);
    assertEquals(
      e.message,
      `${dir}/jobs.ts:3:3: cannot import: SyntaxError: Expected ',', got 'b'`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unreadable files and unknown extensions", async () => {
  const missing = await loadError(BAD + "nope.toml");
  assertEquals([missing.message, missing.code], [`${BAD}nope.toml: file not found`, "io"]);
  const missingTs = await loadError(BAD + "nope.ts");
  assertEquals([missingTs.message, missingTs.code], [`${BAD}nope.ts: file not found`, "io"]);
  const tmp = await Deno.makeTempDir();
  try {
    for (const name of ["jobs.ts", "jobs.toml"]) {
      await Deno.mkdir(`${tmp}/${name}`);
      const e = await loadError(`${tmp}/${name}`);
      assertEquals([e.message, e.code], [`${tmp}/${name}: is a directory, not a file`, "io"]);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  const yaml = await loadError("jobs.yaml");
  assertEquals(
    yaml.message,
    "jobs.yaml: unsupported file type (use .toml, or .ts for a TypeScript module)",
  );
  assertEquals([jobFileKind("a.TOML"), jobFileKind("a.mjs"), jobFileKind("a.json")], [
    "toml",
    "ts",
    null,
  ]);
});

const KOKU_BACKUP: JobDefinition = {
  name: "backup",
  options: { cron: "0 2 * * *", onError: "backoff", overlap: "skip", timeout: "30m" },
  command: {
    argv: null,
    text: "bash backup.sh",
    shell: false,
    dir: "/home/user/scripts",
    env: {},
  },
  run: null,
  permissions: null,
  onFailure: null,
  source: { file: GOOD + "koku.toml", line: 1 },
};

Deno.test("koku's config loads unchanged", async () => {
  const file = await loadJobFile(GOOD + "koku.toml");
  assertEquals(file.kind, "toml");
  assertEquals(file.settings, {
    dataDir: null,
    timezone: null,
    http: null,
    logFormat: null,
    durability: null,
    shutdownTimeout: null,
    sandboxWorkers: null,
  });
  assertEquals(file.jobs, [KOKU_BACKUP, {
    name: "cleanup",
    options: { cron: "*/15 * * * *" },
    command: {
      argv: null,
      text: "python3 cleanup.py",
      shell: false,
      dir: null,
      env: {},
    },
    run: null,
    permissions: null,
    onFailure: null,
    source: { file: GOOD + "koku.toml", line: 10 },
  }]);
});

Deno.test("every TOML field maps from snake_case to camelCase", async () => {
  const file = await loadJobFile(GOOD + "all_fields.toml");
  assertEquals(file.settings, {
    dataDir: "/var/lib/kron",
    timezone: "Europe/Rome",
    http: "[::1]:8080",
    logFormat: "json",
    durability: "batch",
    shutdownTimeout: "45s",
    sandboxWorkers: 3,
  });
  assertEquals(file.jobs[0], {
    name: "sync.v2",
    options: {
      description: "Sync everything",
      every: "90m",
      startAt: "2026-03-01T09:00:00", // local date-time: kept without an offset, space → T
      timeout: "10m",
      retries: 4,
      retryDelay: "5s",
      retryMaxDelay: "2m",
      onError: "stop",
      maxFailures: 5,
      overlap: "allow", // koku's `true`
      misfire: "skip",
      misfireGrace: "15m",
      jitter: "1s",
      paused: false,
      historyLimit: 50,
    },
    command: {
      argv: null,
      text: "bin/sync --all",
      shell: true,
      dir: "work",
      env: { TOKEN_FILE: "/run/secrets/token", "WITH SPACE": "ok" },
    },
    run: null,
    permissions: {
      read: ["/srv/data"],
      write: false,
      net: true,
      env: ["HOME"],
      run: ["git"],
      sys: false,
    },
    onFailure: { command: "bin/alert sync" },
    source: { file: GOOD + "all_fields.toml", line: 11 },
  });
  assertEquals(file.jobs[1].options, { at: "2026-12-31T23:59:00+01:00" });
  assertEquals(file.jobs[1].command?.argv, ["bin/new-year"]);
  assertEquals(file.jobs[2].options, { after: "10s" });
  assertEquals(file.jobs[3].options, { cron: "0 3 * * *", timezone: "America/New_York" });
});

Deno.test("TS jobs load the same with defineJobs and as a plain object", async () => {
  const plain = await loadJobFile(GOOD + "plain.ts");
  const defined = await loadJobFile(GOOD + "defined.ts");
  const strip = (jobs: JobDefinition[]) =>
    jobs.map((j) => ({ ...j, run: typeof j.run, source: j.source.line }));
  assertEquals(strip(plain.jobs), strip(defined.jobs));
  assertEquals(plain.settings, defined.settings);
  assertEquals(plain.kind, "ts");
  assertEquals(plain.settings.timezone, "Europe/Rome");
  assertEquals(plain.settings.shutdownTimeout, "5000ms");
  const [digest, vacuum] = defined.jobs;
  assertEquals(digest.options, {
    cron: "0 8 * * *",
    retries: 2,
    retryDelay: 1500,
    onError: "backoff",
    overlap: "replace",
  });
  assertEquals(digest.command, null);
  assertEquals(digest.source, { file: GOOD + "defined.ts", line: null });
  // The function is the module's own: calling it is calling the job.
  assertEquals(digest.run?.({ idempotencyKey: "digest:x" } as never), "digest:x");
  assertEquals(vacuum.run, null);
  assertEquals(vacuum.options, {
    every: "1d",
    startAt: new Date("2026-03-01T03:00:00Z"),
    misfireGrace: "2h",
  });
  assertEquals(vacuum.command, {
    argv: ["psql", "-c", "VACUUM"],
    text: null,
    shell: false,
    dir: null,
    env: { PGDATABASE: "app" },
  });
  assertEquals(vacuum.onFailure, { url: "http://localhost:9000/hook" });
});

Deno.test("defineJobs is the identity", () => {
  const jobs = { a: { every: "1m", run: () => 1 } };
  assert(defineJobs(jobs) === jobs);
});

Deno.test("a TS file is imported afresh on every load (reload sees edits)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/jobs.ts`;
    await Deno.writeTextFile(path, `export default { a: { every: "1m", command: "true" } };`);
    assertEquals((await loadJobFile(path)).jobs[0].options, { every: "1m" });
    await Deno.writeTextFile(path, `export default { a: { every: "2m", command: "true" } };`);
    assertEquals((await loadJobFile(path)).jobs[0].options, { every: "2m" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the examples load", async () => {
  const toml = await loadJobFile(EXAMPLES + "jobs.toml");
  assertEquals(toml.jobs.map((j) => j.name), [
    "backup",
    "cleanup",
    "report.weekly",
    "migrate-2026",
    "warm-cache",
  ]);
  assertEquals(toml.settings.timezone, "Europe/Rome");
  assertEquals(toml.jobs[2].permissions, { net: ["api.example.com"], read: false });
  const ts = await loadJobFile(EXAMPLES + "jobs.ts");
  assertEquals(ts.jobs.map((j) => [j.name, j.run !== null, j.command !== null]), [
    ["digest", true, false],
    ["heartbeat", true, false],
    ["vacuum", false, true],
  ]);
  assertEquals(ts.settings.logFormat, "json");
});

Deno.test("describeSchedule says schedules in words (through the schedule module)", () => {
  assertEquals(describeSchedule({ cron: "0 8 * * *" }), "At 08:00");
  assertEquals(
    describeSchedule({ cron: "0 9 * * MON-FRI", timezone: "Europe/Rome" }),
    "At 09:00, Monday through Friday (Europe/Rome)",
  );
  assertEquals(describeSchedule({ cron: "0 3 * * *" }, "UTC"), "At 03:00 (UTC)");
  assertEquals(describeSchedule({ every: "30m" }), "every 30 minutes");
  assertEquals(describeSchedule({ after: "10s" }), "once, 10s after registration");
  assertEquals(
    describeSchedule({ at: "2026-06-01T03:00:00Z" }),
    "once at 2026-06-01T03:00:00.000Z",
  );
  assertEquals(describeSchedule({ cron: "not cron" }), `cron "not cron"`);
});

Deno.test("did-you-mean: Damerau distance ≤ 2, deterministic ties", () => {
  assertEquals(editDistance("retires", "retries"), 1);
  assertEquals(editDistance("", "abc"), 3);
  assertEquals(didYouMean("retires", ["timeout", "retries"]), "retries");
  assertEquals(didYouMean("RETRIES", ["retries"]), "retries");
  assertEquals(didYouMean("colour", ["cron", "every", "command"]), null);
  assertEquals(didYouMean("ab", ["ax", "ay"]), "ax");
});

Deno.test("parseHostPort", () => {
  assertEquals(parseHostPort("127.0.0.1:8080"), { host: "127.0.0.1", port: 8080 });
  assertEquals(parseHostPort("localhost:0"), { host: "localhost", port: 0 });
  assertEquals(parseHostPort("[::1]:9000"), { host: "::1", port: 9000 });
  assertEquals(parseHostPort(":8080"), null);
  assertEquals(parseHostPort("host:70000"), null);
});

Deno.test("fileUrl encodes each path segment", () => {
  assertEquals(fileUrl("/srv/a b/#1/jobs.ts"), "file:///srv/a%20b/%231/jobs.ts");
});
