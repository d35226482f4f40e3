// Restores package-lock.json entries for chdb's native libraries of other
// platforms. The registry this project installs from serves only the Linux
// x64 build, so `npm install` drops the others from the lockfile, and then
// `npm ci` refuses the lockfile as out of sync. npm never downloads a package
// for a foreign os/cpu, so an entry without a tarball is enough.
// Run after any `npm install` that rewrites the lockfile: node deploy/tools/lockfile-platforms.mjs
import { readFileSync, writeFileSync } from "node:fs";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const chdb = lock.packages["node_modules/chdb"];
let added = 0;
for (const [name, version] of Object.entries(chdb?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [, os, cpu] = /lib-(darwin|linux)-(x64|arm64)/.exec(name) ?? [];
  if (!os) throw new Error(`unknown platform package ${name}`);
  lock.packages[key] = { version, cpu: [cpu], os: [os], optional: true };
  added += 1;
}
writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lockfile: ${added} platform entries restored`);
