import { parseArgs } from 'node:util';
import { Pos } from './pos.js';

const HELP = `City Pay campus POS simulator

Usage: npm run pos -- <command> [options]

Commands:
  config                 fetch and cache this POS's merchant, university reference and the JWKS (online)
  scan <code> <amount>   charge a card code (amount in fen); online when the server answers, else
                         verified offline (signature, card use, university, expiry, single use) and queued
  upload                 upload queued offline charges (POST /v1/campus/offline-charges, 500 a call)
  status                 queued charges and the cached config

Options:
  --server <url>         API base URL (env POS_SERVER, default http://127.0.0.1:3000)
  --device-id <id>       POS device id (env POS_DEVICE_ID)
  --secret <secret>      POS device secret (env POS_DEVICE_SECRET; never printed)
  --state <dir>          where the queue and cached config live (env POS_STATE_DIR, default ./.pos)
  --offline              do not try the network: verify and queue
  --pin <6 digits>       PIN for a charge above the card's password-free limit (online only)
  -h, --help             this text
`;

// the POS simulator is a device program, not the platform: it has no AppConfig, its settings are flags or these variables
// eslint-disable-next-line no-restricted-properties
const env = process.env;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      server: { type: 'string' },
      'device-id': { type: 'string' },
      secret: { type: 'string' },
      state: { type: 'string' },
      offline: { type: 'boolean', default: false },
      pin: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return values.help ? 0 : 64;
  }
  const deviceId = values['device-id'] ?? env.POS_DEVICE_ID;
  const secret = values.secret ?? env.POS_DEVICE_SECRET;
  if (!deviceId || !secret) {
    process.stderr.write('--device-id and --secret (or POS_DEVICE_ID and POS_DEVICE_SECRET) are required\n');
    return 64;
  }
  const pos = new Pos({
    server: values.server ?? env.POS_SERVER ?? 'http://127.0.0.1:3000',
    deviceId,
    secret,
    stateDir: values.state ?? env.POS_STATE_DIR ?? '.pos',
  });
  const out = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  switch (command) {
    case 'config': {
      const c = await pos.refreshConfig();
      out({ merchantId: c.merchantId, universityId: c.universityId, universityRef: c.universityRef, keys: c.jwks.keys.length });
      return 0;
    }
    case 'scan': {
      const [code, amountText] = args;
      const amount = Number(amountText);
      if (!code || !Number.isSafeInteger(amount) || amount <= 0) {
        process.stderr.write('scan <code> <amount in fen>\n');
        return 64;
      }
      const result = await pos.scan(code, amount, { offline: values.offline, pin: values.pin });
      out(result);
      return result.kind === 'REFUSED' ? 1 : 0;
    }
    case 'upload': {
      const summary = await pos.upload();
      out(summary);
      if (summary.rejected.length) process.stderr.write(`${summary.rejected.length} offline charge(s) REJECTED: collect them from the customer (see rejected.jsonl)\n`);
      return 0;
    }
    case 'status': {
      let config: unknown = null;
      try {
        const c = pos.config();
        config = { merchantId: c.merchantId, universityRef: c.universityRef, keys: c.jwks.keys.length };
      } catch {
        // no cached config yet
      }
      const queue = pos.queue();
      out({ queued: queue.length, queuedAmount: queue.reduce((s, c) => s + c.amount, 0), config });
      return 0;
    }
    default:
      process.stderr.write(`unknown command ${command}\n${HELP}`);
      return 64;
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  },
);
