// The registry these machines reach serves only the Linux builds of
// platform-specific packages (e.g. @swc/core-darwin-arm64 is a 404), so
// `npm install` leaves them out of package-lock.json, and `npm ci` then
// refuses the lock ("Missing: ... from lock file"). This adds each missing
// optional platform package as npm itself records one: version, os, cpu
// (and libc), optional. npm ci skips them on a platform they do not match.
// Run after changing dependencies: node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony', 'netbsd', 'openbsd', 'sunos', 'aix'];
const CPU = ['arm64', 'x64', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'arm', 'wasm32'];

function platformOf(name) {
  const tail = name.split('/').pop();
  const parts = tail.split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  if (!cpu) return undefined;
  const entry = { cpu: [cpu] };
  if (os) entry.os = [os];
  if (parts.includes('gnu') || parts.includes('gnueabihf')) entry.libc = ['glibc'];
  if (parts.includes('musl') || parts.includes('musleabihf')) entry.libc = ['musl'];
  return entry;
}

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const added = [];
const unknown = [];
for (const [path, pkg] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const base = path ? `${path}/node_modules/${dep}` : `node_modules/${dep}`;
    if (lock.packages[base] || lock.packages[`node_modules/${dep}`]) continue;
    const platform = platformOf(dep);
    if (!platform) {
      unknown.push(dep);
      continue;
    }
    lock.packages[`node_modules/${dep}`] = { version, ...platform, optional: true };
    added.push(`${dep}@${version}`);
  }
}
const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
lock.packages = sorted;
writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log(`complete-lockfile: added ${added.length} platform entries${added.length ? ': ' + added.join(', ') : ''}`);
if (unknown.length) console.log(`complete-lockfile: could not place ${unknown.join(', ')}`);
