// Time from `npm start` to /health/ready on the embedded database, then a Ctrl-C.
// node bench/startup/run.mjs [dataDir] [port] [pgPort]: run it twice with the same
// dataDir to measure a second start with nothing changed (the build is skipped).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [dataDir = mkdtempSync(join(tmpdir(), 'citypay-start-')), port = '39501', pgPort = '39502'] = process.argv.slice(2);
const env = { ...process.env, PORT: port, DATA_DIR: dataDir, EMBEDDED_PG_PORT: pgPort, LOG_LEVEL: 'warn' };
delete env.DATABASE_URL;
const t0 = Date.now();
const p = spawn('npm', ['start'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
p.stdout.on('data', (d) => (out += d));
p.stderr.on('data', (d) => (out += d));
let ready = false;
while (Date.now() - t0 < 180_000) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200) {
      ready = true;
      break;
    }
  } catch {
    // not listening yet
  }
  await new Promise((r) => setTimeout(r, 50));
}
const ms = Date.now() - t0;
process.kill(-p.pid, 'SIGINT');
await new Promise((r) => p.once('exit', r));
const errors = out.split('\n').filter((l) => /"level":"(error|fatal)"/.test(l)).length;
console.log(`${ready ? `ready in ${ms} ms` : 'not ready within 180 s'}; build ${/skipped/.test(out) ? 'skipped' : 'ran'}; error-level log lines: ${errors}; data dir ${dataDir}`);
