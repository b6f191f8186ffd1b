import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parseScan, Reader } from './reader.js';

const HELP = `City Pay bus reader

Verifies scanned ride codes offline (ES256, the platform's JWKS), answers
each passenger at once (one JSON line on stdout: BOARD or REFUSE with the
reason), queues taps durably on disk (fsync'd append log) and uploads them
in signed batches whenever the server answers.

Usage: npm run reader -- --server URL --device-id ID --route CODE [options]

  --server URL          the platform, e.g. http://localhost:3000 (env READER_SERVER)
  --device-id ID        this reader's device id (env READER_DEVICE_ID)
  --device-secret S     its secret (env READER_DEVICE_SECRET; prefer the env variable)
  --route CODE          the route this bus serves
  --vehicle ID          the vehicle id (optional)
  --stop N              stop index for DISTANCE routes (a scan line may carry its own)
  --direction IN|OUT    IN (boarding, default) or OUT (alighting reader)
  --state DIR           cached keys, blocklist and the tap queue (default ./.reader)
  --input FILE          read codes from FILE, one per line (default: stdin)
  --sync-ms N           refresh and upload every N ms (default 2000)
  --batch N             taps per upload, at most 500 (default 500)
  --exit-when-drained   after the input ends, exit once every tap is uploaded
  --help                this text

A scan line is a code, or JSON {"code": "...", "stopIndex": 5, "direction": "OUT"}.
Lines on stdout: {"event":"decision",...}, {"event":"uploaded",...},
{"event":"sync",...}, {"event":"offline",...}.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string' },
      'device-id': { type: 'string' },
      'device-secret': { type: 'string' },
      route: { type: 'string' },
      vehicle: { type: 'string' },
      stop: { type: 'string' },
      direction: { type: 'string' },
      state: { type: 'string', default: './.reader' },
      input: { type: 'string' },
      'sync-ms': { type: 'string', default: '2000' },
      batch: { type: 'string', default: '500' },
      'exit-when-drained': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return;
  }
  // the reader is its own program, not the platform: its settings are flags, or these variables (a secret stays out of `ps`)
  /* eslint-disable no-restricted-properties */
  const server = values.server ?? process.env.READER_SERVER;
  const deviceId = values['device-id'] ?? process.env.READER_DEVICE_ID;
  const deviceSecret = values['device-secret'] ?? process.env.READER_DEVICE_SECRET;
  /* eslint-enable no-restricted-properties */
  const missing = [!server && '--server', !deviceId && '--device-id', !deviceSecret && '--device-secret', !values.route && '--route'].filter(Boolean);
  if (missing.length) {
    process.stderr.write(`missing ${missing.join(', ')} (see --help)\n`);
    process.exit(64);
  }
  const direction = values.direction?.toUpperCase();
  if (direction && direction !== 'IN' && direction !== 'OUT') {
    process.stderr.write('--direction must be IN or OUT\n');
    process.exit(64);
  }
  const stop = values.stop === undefined ? undefined : Number(values.stop);
  const batch = Number(values.batch);
  const syncMs = Number(values['sync-ms']);
  if ((stop !== undefined && !Number.isSafeInteger(stop)) || !(batch >= 1 && batch <= 500) || !(syncMs >= 50)) {
    process.stderr.write('--stop must be an integer, --batch 1..500, --sync-ms >= 50\n');
    process.exit(64);
  }
  const reader = new Reader({
    server: server!.replace(/\/$/, ''),
    deviceId: deviceId!,
    deviceSecret: deviceSecret!,
    routeCode: values.route!,
    vehicleId: values.vehicle,
    stopIndex: stop,
    direction: direction as 'IN' | 'OUT' | undefined,
    stateDir: values.state!,
    batchSize: batch,
  });
  const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
  say({ event: 'start', queued: reader.queue.size, keys: reader.ready });

  let inputDone = false;
  let online: boolean | undefined;
  let syncing = false;
  const sync = async () => {
    if (syncing) return;
    syncing = true;
    try {
      await reader.refresh();
      const sent = await reader.upload((r) => say({ event: 'uploaded', ...r }));
      if (online !== true) say({ event: 'online' });
      online = true;
      if (sent) say({ event: 'sync', sent, queued: reader.queue.size });
    } catch (err) {
      if (online !== false) say({ event: 'offline', error: (err as Error).message, queued: reader.queue.size });
      online = false;
    } finally {
      syncing = false;
    }
    if (inputDone && values['exit-when-drained'] && reader.queue.size === 0) {
      say({ event: 'drained' });
      reader.queue.close();
      process.exit(0);
    }
  };
  await sync();
  const timer = setInterval(() => void sync(), syncMs);

  const input = values.input ? createReadStream(values.input) : process.stdin;
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    const scan = parseScan(line);
    if (!scan) continue;
    say({ event: 'decision', ...reader.scan(scan) });
  }
  inputDone = true;
  if (!values['exit-when-drained']) {
    // keep uploading until stopped
    process.on('SIGTERM', () => {
      clearInterval(timer);
      reader.queue.close();
      process.exit(0);
    });
  } else {
    void sync();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`reader: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
