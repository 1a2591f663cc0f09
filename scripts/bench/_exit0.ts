// The floor of `kron status` in scripts/bench/cli.ts: a `deno run` with the kron task's flags, from
// the checkout (its deno.json, imports and lockfile discovered as for main.ts), that does nothing.
Deno.exit(0);
