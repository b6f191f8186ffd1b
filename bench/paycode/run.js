// Bench: offline verification of pay codes (libs/paycode) on one core, each next to its
// reference measured in the same run:
//   1. server-issued codes: verifyCode vs bare crypto.verify of the same ES256 signature
//      (goal: ratio >= 0.8, p99 < 1 ms)
//   2. phone-minted codes <credential>~<proof>: verifyCode vs two bare crypto.verify calls
//      (the credential's and the proof's signature; goal >= 0.8). Measured cold (every
//      code from another phone: the credential is verified and its key imported each time)
//      and warm (the key set remembers credentials it verified, as a reader or the server
//      does for a rider's later codes of the day). Cold is also shown against two bare verifies
//      plus the import of the phone's key (createPublicKey of its JWK), which no cold path
//      avoids: that ratio is what the parsing and checks of verifyCode cost.
// Rounds of each method alternate so that the noise of a shared machine hits all of them.
// Usage: npm run bench:paycode [-- --seconds 2 --rounds 5 --codes 5000]
import { createPublicKey, verify } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  ecPublicJwk,
  generateP256KeyPair,
  generatePaycodeSigner,
  mintCredential,
  mintOnlineCode,
  mintProof,
  PaycodeKeySet,
  paycodeJwk,
  verifyCode,
} from '../../dist/libs/paycode/src/index.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '2' }, rounds: { type: 'string', default: '5' }, codes: { type: 'string', default: '5000' } },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const count = Number(values.codes);

const signer = generatePaycodeSigner();
const spare = generatePaycodeSigner();
const jwks = { keys: [paycodeJwk(signer.privateKey, signer.kid), paycodeJwk(spare.privateKey, spare.kid)] };
const platformKey = createPublicKey(signer.privateKey);
const now = Date.now();

/** The signing input and signature of a compact JWS, decoded once (what a bare verify needs). */
function bare(jws) {
  const dot = jws.lastIndexOf('.');
  return { data: Buffer.from(jws.slice(0, dot)), signature: Buffer.from(jws.slice(dot + 1), 'base64url') };
}

// ---- codes
const online = Array.from({ length: count }, (_, i) => mintOnlineCode(signer, { use: 'ride', sub: `r${i.toString(36).padStart(8, '0')}`, now }).code);
const onlineBare = online.map(bare);

const offline = [];
const offlineBare = [];
for (let i = 0; i < count; i++) {
  const phone = generateP256KeyPair();
  const { credential } = mintCredential(signer, { sub: `r${i.toString(36).padStart(8, '0')}`, publicKey: ecPublicJwk(phone.publicKey), maxCodes: 50, now });
  const code = mintProof(credential, phone.privateKey, { counter: 1, now });
  offline.push(code);
  const [c, p] = code.split('~');
  offlineBare.push({ credential: bare(c), proof: bare(p), phoneKey: phone.publicKey, phoneJwk: ecPublicJwk(phone.publicKey) });
}

// every code verifies before anything is timed
for (const code of [...online, ...offline]) {
  const r = verifyCode(code, jwks, { now, use: 'ride' });
  if (!r.ok) throw new Error(`bench code refused: ${r.reason} ${r.detail}`);
}

// A full collection closes every timed run: each method pays for the garbage it made (the
// KeyObjects a cold path imports are freed by the collector), not the method after it.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc');

/** Runs `one(i)` over the codes for `seconds`, then collects its garbage; answers {perSecond, latencies (ms)}. */
function measure(one) {
  collectGarbage();
  const latencies = [];
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  let i = 0;
  let t = started;
  while (t < until) {
    one(i % count);
    const after = performance.now();
    latencies.push(after - t);
    t = after;
    i++;
  }
  collectGarbage();
  return { perSecond: i / ((performance.now() - started) / 1000), latencies };
}

const methods = {
  bareOnline: () => (i) => {
    const b = onlineBare[i];
    if (!verify('sha256', b.data, { key: platformKey, dsaEncoding: 'ieee-p1363' }, b.signature)) throw new Error('bad');
  },
  verifyOnline: () => {
    const keys = new PaycodeKeySet(jwks);
    return (i) => {
      if (!verifyCode(online[i], keys, { now, use: 'ride' }).ok) throw new Error('refused');
    };
  },
  bareTwice: () => (i) => {
    const b = offlineBare[i];
    if (!verify('sha256', b.credential.data, { key: platformKey, dsaEncoding: 'ieee-p1363' }, b.credential.signature)) throw new Error('bad');
    if (!verify('sha256', b.proof.data, { key: b.phoneKey, dsaEncoding: 'ieee-p1363' }, b.proof.signature)) throw new Error('bad');
  },
  // the floor of a cold path on this runtime: the phone's key must be imported before its
  // proof can be verified (OpenSSL 3 checks the point fully on import, about one verify)
  bareTwiceAndImport: () => (i) => {
    const b = offlineBare[i];
    const phoneKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b.phoneJwk.x, y: b.phoneJwk.y }, format: 'jwk' });
    if (!verify('sha256', b.credential.data, { key: platformKey, dsaEncoding: 'ieee-p1363' }, b.credential.signature)) throw new Error('bad');
    if (!verify('sha256', b.proof.data, { key: phoneKey, dsaEncoding: 'ieee-p1363' }, b.proof.signature)) throw new Error('bad');
  },
  verifyOfflineCold: () => {
    const keys = new PaycodeKeySet(jwks, { credentialCacheSize: 0 });
    return (i) => {
      if (!verifyCode(offline[i], keys, { now, use: 'ride' }).ok) throw new Error('refused');
    };
  },
  verifyOfflineWarm: () => {
    const keys = new PaycodeKeySet(jwks, { credentialCacheSize: count });
    for (const code of offline) verifyCode(code, keys, { now, use: 'ride' });
    return (i) => {
      if (!verifyCode(offline[i], keys, { now, use: 'ride' }).ok) throw new Error('refused');
    };
  },
};

const results = Object.fromEntries(Object.keys(methods).map((k) => [k, { rates: [], latencies: [] }]));
for (let r = 0; r < rounds; r++) {
  for (const [name, make] of Object.entries(methods)) {
    const { perSecond, latencies } = measure(make());
    results[name].rates.push(perSecond);
    results[name].latencies.push(...latencies);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => {
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
};
const line = (label, name, ref, goal) => {
  const { rates, latencies } = results[name];
  const rate = median(rates);
  const ratio = ref ? `   ratio ${(rate / median(results[ref].rates)).toFixed(2)}${goal ? ` (goal >= ${goal})` : ''}` : '';
  const us = (p) => (percentile(latencies, p) * 1000).toFixed(0).padStart(5);
  console.log(`  ${label.padEnd(52)} ${rate.toFixed(0).padStart(7)} /s   p50 ${us(0.5)} µs   p99 ${us(0.99)} µs${ratio}`);
};

console.log(`paycode bench: one core, node ${process.version}, ${count} distinct codes, ${rounds} rounds x ${seconds} s per method (median rate, p50/p99 over all calls)`);
console.log(`  load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.availableParallelism()} cores (p99 is the machine's scheduling when it is busy)`);
console.log('server-issued codes:');
line('bare crypto.verify of the same signature (reference)', 'bareOnline');
line('verifyCode', 'verifyOnline', 'bareOnline', '0.80');
console.log('phone-minted codes <credential>~<proof>:');
line('two bare crypto.verify (reference)', 'bareTwice');
line('verifyCode, cold (new phone every code)', 'verifyOfflineCold', 'bareTwice', '0.80');
line('two bare crypto.verify + JWK import of the phone key', 'bareTwiceAndImport', 'bareTwice');
line('verifyCode, cold, against that floor', 'verifyOfflineCold', 'bareTwiceAndImport');
line('verifyCode, warm (credential seen before)', 'verifyOfflineWarm', 'bareTwice');
