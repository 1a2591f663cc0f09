import assert from "node:assert/strict";
import {
  absPath,
  dataDirForFile,
  dataDirForReads,
  dirName,
  scanTomlDataDir,
  scanTsDataDir,
} from "../../src/cli/context.ts";

Deno.test("absPath and dirName", () => {
  assert.equal(absPath("/a/b/../c/./d"), "/a/c/d");
  assert.equal(absPath("x", "/base"), "/base/x");
  assert.equal(dirName("conf/jobs.toml"), "conf");
  assert.equal(dirName("jobs.toml"), ".");
  assert.equal(dirName("/jobs.toml"), "/");
});

Deno.test("scanTomlDataDir reads [kron] data_dir only", () => {
  assert.equal(scanTomlDataDir(`[kron]\ndata_dir = "/var/lib/kron" # here\n`), "/var/lib/kron");
  assert.equal(scanTomlDataDir(`[kron]\ndata_dir = 'state'\n`), "state");
  assert.equal(scanTomlDataDir(`[kron]\ndata_dir = "a\\u0062"\n`), "ab");
  assert.equal(scanTomlDataDir(`[[job]]\ndata_dir = "no"\n[kron]\ntimezone = "UTC"\n`), null);
  assert.equal(scanTomlDataDir(`# [kron]\ndata_dir = "no"\n`), null);
  assert.equal(
    scanTsDataDir(`export const kron = { dataDir: "./state", timezone: "UTC" };`),
    "./state",
  );
  assert.equal(scanTsDataDir(`export default {}`), null);
});

Deno.test("data dir precedence: flag, KRON_DATA_DIR, the job file's setting, ./.kron", async () => {
  const dir = Deno.makeTempDirSync();
  const cwd = Deno.cwd();
  const saved = Deno.env.get("KRON_DATA_DIR");
  Deno.env.delete("KRON_DATA_DIR");
  try {
    Deno.chdir(dir);
    assert.equal(dataDirForFile("/flag", "conf/jobs.toml", "state"), "/flag");
    assert.equal(dataDirForFile(undefined, "conf/jobs.toml", "state"), `${dir}/conf/state`);
    assert.equal(dataDirForFile(undefined, "conf/jobs.toml", null), `${dir}/.kron`);
    assert.equal(await dataDirForReads(undefined), `${dir}/.kron`);
    Deno.writeTextFileSync("jobs.toml", `[kron]\ndata_dir = "st"\n`);
    assert.equal(await dataDirForReads(undefined), `${dir}/st`);
    Deno.env.set("KRON_DATA_DIR", "envdir");
    assert.equal(await dataDirForReads(undefined), `${dir}/envdir`);
    assert.equal(dataDirForFile(undefined, "jobs.toml", "st"), `${dir}/envdir`);
    assert.equal(await dataDirForReads("flagdir"), `${dir}/flagdir`);
  } finally {
    Deno.chdir(cwd);
    if (saved === undefined) Deno.env.delete("KRON_DATA_DIR");
    else Deno.env.set("KRON_DATA_DIR", saved);
    Deno.removeSync(dir, { recursive: true });
  }
});
