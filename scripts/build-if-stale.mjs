#!/usr/bin/env node
// `npm start`'s build step (scripts/start.mjs): runs `npm run build` only when the compiled
// output is not current. "Current" means dist/.build-stamp holds the
// fingerprint (path, size, modification time) of every build input as it was
// when that output was built, so an edit, a new, a deleted or a renamed file,
// a changed tsconfig or package.json all rebuild; nothing changed skips the
// whole TypeScript build (the slow part of a second start).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const STAMP = join(root, 'dist', '.build-stamp');
const OUTPUT = join(root, 'dist', 'server', 'main.js');
const SOURCE_DIRS = ['apps', 'libs', 'config', 'types'];
const FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', 'scripts/bundle-server.mjs'];
const IGNORED = /\.(spec|e2e-spec)\.ts$/;

function walk(dir, out) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') walk(path, out);
    } else if (!IGNORED.test(entry.name)) out.push(path);
  }
}

export function fingerprint() {
  const files = [];
  for (const d of SOURCE_DIRS) walk(join(root, d), files);
  for (const f of FILES) if (existsSync(join(root, f))) files.push(join(root, f));
  const hash = createHash('sha256');
  for (const file of files.sort()) {
    const s = statSync(file);
    hash.update(`${relative(root, file)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** Builds unless dist/ is current; answers the build's exit status (0: current or built). */
export function buildIfStale() {
  const before = fingerprint();
  if (existsSync(OUTPUT) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === before) {
    process.stdout.write('build: dist/ is current (no source changed), skipped\n');
    return 0;
  }
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) return build.status ?? 1;
  // the fingerprint taken before building: a file edited during the build rebuilds next time
  writeFileSync(STAMP, before + '\n');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(buildIfStale());
