import { createPublicKey, createSign, randomBytes } from 'node:crypto';

/**
 * Just enough DER to mint the X.509 v3 certificates a sandbox gateway
 * presents (UnionPay's root, middle and signing certificates): RSA keys,
 * sha256WithRSAEncryption, a name of CN/OU/O/C, basicConstraints on CAs.
 * Node parses and verifies certificates (X509Certificate) but cannot issue
 * them; the sandbox must, so its chain is its own and nothing is committed.
 */

const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  const n = body.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, body]);
};

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
const set = (...items: Buffer[]): Buffer => tlv(0x31, ...items);
const explicit = (n: number, item: Buffer): Buffer => tlv(0xa0 + n, item);
const integer = (value: Buffer): Buffer => tlv(0x02, value[0] & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
const bool = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]));
const octets = (value: Buffer): Buffer => tlv(0x04, value);
const bits = (value: Buffer): Buffer => tlv(0x03, Buffer.from([0]), value);
const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
const printable = (text: string): Buffer => tlv(0x13, Buffer.from(text, 'ascii'));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(at: Date): Buffer {
  const iso = at.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return at.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : tlv(0x18, Buffer.from(iso, 'ascii'));
}

export interface DistinguishedName {
  C?: string;
  O?: string;
  OU?: string;
  CN: string;
}

function name(dn: DistinguishedName): Buffer {
  const rdn = (type: string, value: Buffer): Buffer => set(sequence(oid(type), value));
  return sequence(
    ...[
      dn.C === undefined ? undefined : rdn('2.5.4.6', printable(dn.C)),
      dn.O === undefined ? undefined : rdn('2.5.4.10', utf8(dn.O)),
      dn.OU === undefined ? undefined : rdn('2.5.4.11', utf8(dn.OU)),
      rdn('2.5.4.3', utf8(dn.CN)),
    ].filter((x): x is Buffer => x !== undefined),
  );
}

const SHA256_WITH_RSA = sequence(oid('1.2.840.113549.1.1.11'), tlv(0x05));

export interface CertificateRequest {
  subject: DistinguishedName;
  /** SPKI PEM of the certified key. */
  publicKey: string;
  issuer: DistinguishedName;
  /** PKCS#8 PEM of the issuer's key (the subject's own for a self-signed root). */
  issuerPrivateKey: string;
  /** A CA may issue certificates (basicConstraints cA, critical). */
  ca: boolean;
  notBefore: Date;
  notAfter: Date;
}

/** A certificate in PEM, signed by the issuer's key. */
export function issueCertificate(r: CertificateRequest): string {
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  serial[0] |= 0x01;
  const spki = createPublicKey(r.publicKey).export({ type: 'spki', format: 'der' });
  const extensions = r.ca ? [explicit(3, sequence(sequence(oid('2.5.29.19'), bool(true), octets(sequence(bool(true))))))] : [];
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    SHA256_WITH_RSA,
    name(r.issuer),
    sequence(time(r.notBefore), time(r.notAfter)),
    name(r.subject),
    spki,
    ...extensions,
  );
  const signature = createSign('RSA-SHA256').update(tbs).sign(r.issuerPrivateKey);
  const der = sequence(tbs, SHA256_WITH_RSA, bits(signature));
  const base64 = der.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`;
}
