// The permission arithmetic of the sandbox: narrowing, widening, Deno's worker options, the
// text of a set, and NotCapable messages turned into "which permission, which flag".
import {
  deniedEntry,
  deniedMessage,
  describePermissions,
  effectivePermissions,
  findWidening,
  grantCovers,
  parseDenied,
  workerPermissions,
} from "../../src/jobs/permissions.ts";
import { emptyPermissions } from "../../src/jobs/runtime.ts";
import { assert, assertEquals } from "../e2e/_assert.ts";

const none = emptyPermissions();

Deno.test("grantCovers: paths by prefix, hosts with any port, env prefixes, programs", () => {
  assert(grantCovers("read", ["/srv/reports"], "/srv/reports/a.csv"));
  assert(grantCovers("read", ["/srv/reports"], "/srv/reports"));
  assert(!grantCovers("read", ["/srv/reports"], "/srv/reports-old"));
  assert(grantCovers("read", ["./r"], `${Deno.cwd()}/r/x`), "relative to kron's cwd");
  assert(grantCovers("net", ["api.example.com"], "api.example.com:443"));
  assert(!grantCovers("net", ["api.example.com:8443"], "api.example.com:443"));
  assert(grantCovers("env", ["AWS_*"], "AWS_KEY"));
  assert(!grantCovers("env", ["AWS_KEY"], "AWS_SECRET"));
  assert(grantCovers("run", ["/usr/bin/rsync"], "rsync"));
  assert(grantCovers("sys", true, "hostname"));
  assert(!grantCovers("sys", false, "hostname"));
});

Deno.test("findWidening: narrowing passes, asking for more names the permission and flag", () => {
  const grant = { ...none, net: ["api.example.com"], env: true };
  assertEquals(findWidening(grant, null), null);
  assertEquals(findWidening(grant, { net: ["api.example.com:443"], env: ["HOME"] }), null);
  assertEquals(findWidening(grant, { read: false, net: false }), null);
  const more = findWidening(grant, { net: ["mail.example.com"] })!;
  assertEquals(more.kind, "net");
  assertEquals(more.flag, "--allow-net=api.example.com,mail.example.com");
  assertEquals(
    more.problem,
    'permissions.net asks for "mail.example.com", but --allow-net=api.example.com does not ' +
      "grant it (grant it: --allow-net=api.example.com,mail.example.com)",
  );
  const all = findWidening(grant, { net: true })!;
  assertEquals(all.flag, "--allow-net");
  const nothing = findWidening(none, { env: ["SMTP_URL"] })!;
  assertEquals(
    nothing.problem,
    'permissions.env asks for "SMTP_URL", but kron run was given no --allow-env ' +
      "(grant it: --allow-env=SMTP_URL)",
  );
});

Deno.test("effectivePermissions: the grant, narrowed; workerPermissions: exactly that", () => {
  const grant = { ...none, read: true, net: ["a.example", "b.example"] };
  const p = effectivePermissions(grant, { read: ["./reports"], net: false, env: ["X"] });
  assertEquals(p, { ...none, read: ["./reports"], net: false });
  assertEquals(effectivePermissions(grant, null), grant);
  assertEquals(workerPermissions(p), {
    read: ["./reports"],
    write: false,
    net: false,
    env: false,
    run: false,
    sys: false,
    ffi: false,
    import: "inherit",
  });
  assertEquals(describePermissions(none), "none");
  assertEquals(describePermissions(grant), "read net=a.example,b.example");
});

Deno.test("parseDenied and deniedMessage: which permission, which flag", () => {
  const net = parseDenied(
    'NotCapable: Requires net access to "api.example.com:443", run again with the --allow-net flag',
  )!;
  assertEquals(net, { kind: "net", target: "api.example.com:443" });
  assertEquals(deniedEntry(net), "net:api.example.com:443");
  assertEquals(
    deniedMessage(net, none),
    'permission denied: net access to "api.example.com:443" (grant it: kron run ' +
      "--allow-net=api.example.com)",
  );
  assertEquals(
    deniedMessage(net, { ...none, net: ["other.example"] }),
    'permission denied: net access to "api.example.com:443" (grant it: kron run ' +
      "--allow-net=other.example,api.example.com)",
  );
  assertEquals(
    deniedMessage(net, { ...none, net: true }),
    'permission denied: net access to "api.example.com:443" (kron run grants it, but the ' +
      "job's permissions.net leaves it out)",
  );
  const proc = parseDenied(
    'Requires all access to "/proc/self/stat", run again with the --allow-all flag',
  )!;
  assertEquals(proc.kind, "all");
  assert(deniedMessage(proc, none).includes("which kron never gives a job"));
  assertEquals(parseDenied("Error: boom"), null);
});
