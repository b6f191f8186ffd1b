/**
 * EMVCo QR Code Specification for Payment Systems, Merchant-Presented Mode:
 * a payload is a sequence of data objects ID (2 digits) | length (2 digits,
 * in characters) | value, some of them templates holding data objects of
 * their own; the last object is the CRC (ID 63, length 04): CRC-16/CCITT-FALSE
 * over the whole payload up to and including "6304", as 4 hex digits.
 */

export interface EmvField {
  id: string;
  /** A primitive value, or the data objects of a template. */
  value: string | EmvField[];
}

export type EmvErrorReason =
  | 'MALFORMED_ID'
  | 'MALFORMED_LENGTH'
  | 'TRUNCATED'
  | 'MISSING_CRC'
  | 'BAD_CRC'
  | 'BAD_FORMAT_INDICATOR'
  | 'DUPLICATE_ID'
  | 'VALUE_TOO_LONG';

/** A payload that is not a well-formed EMVCo MPM payload with a valid CRC. */
export class EmvError extends Error {
  constructor(
    readonly reason: EmvErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'EmvError';
  }
}

const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    table[i] = c;
  }
  return table;
})();

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) of the UTF-8 bytes. */
export function crc16CcittFalse(data: string | Uint8Array): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let crc = 0xffff;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ byte) & 0xff];
  return crc;
}

const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');

/** Templates of the MPM payload: merchant account information 26-51, additional data 62, language 64, unreserved 80-99. */
export function isTemplateId(id: string): boolean {
  const n = Number(id);
  return (n >= 26 && n <= 51) || n === 62 || n === 64 || (n >= 80 && n <= 99);
}

/** Length in characters (code points), as EMVCo counts it. */
const charLength = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

const ID = /^\d\d$/;

function encodeObjects(fields: readonly EmvField[]): string {
  let out = '';
  for (const f of fields) {
    if (!ID.test(f.id)) throw new EmvError('MALFORMED_ID', `data object id ${JSON.stringify(f.id)} is not two digits`);
    const value = typeof f.value === 'string' ? f.value : encodeObjects(f.value);
    const length = charLength(value);
    if (length < 1 || length > 99) throw new EmvError('VALUE_TOO_LONG', `data object ${f.id} has ${length} characters (1 to 99)`);
    out += f.id + String(length).padStart(2, '0') + value;
  }
  return out;
}

/** ID-length-value of the given data objects (nested templates included), without a CRC. */
export function encodeTlv(fields: readonly EmvField[]): string {
  return encodeObjects(fields);
}

/**
 * A complete MPM payload: the data objects in the order given (tag 00 first,
 * any tag 63 given is ignored), then tag 63 with the CRC.
 */
export function encodeMpm(fields: readonly EmvField[]): string {
  const body = encodeObjects(fields.filter((f) => f.id !== '63')) + '6304';
  return body + hex4(crc16CcittFalse(body));
}

/** Splits ID-length-value into data objects, one level (characters counted as code points). */
export function decodeTlv(payload: string): { id: string; value: string }[] {
  const chars = Array.from(payload);
  const out: { id: string; value: string }[] = [];
  let i = 0;
  while (i < chars.length) {
    if (i + 4 > chars.length) throw new EmvError('TRUNCATED', `data object at ${i} is cut short`);
    const id = chars[i] + chars[i + 1];
    if (!ID.test(id)) throw new EmvError('MALFORMED_ID', `data object id at ${i} is not two digits`);
    const len = chars[i + 2] + chars[i + 3];
    if (!ID.test(len) || len === '00') throw new EmvError('MALFORMED_LENGTH', `data object ${id} has a malformed length ${JSON.stringify(len)}`);
    const end = i + 4 + Number(len);
    if (end > chars.length) throw new EmvError('TRUNCATED', `data object ${id} claims ${len} characters, fewer are left`);
    out.push({ id, value: chars.slice(i + 4, end).join('') });
    i = end;
  }
  return out;
}

function decodeObjects(payload: string, nested: boolean): EmvField[] {
  const seen = new Set<string>();
  return decodeTlv(payload).map(({ id, value }) => {
    if (seen.has(id)) throw new EmvError('DUPLICATE_ID', `data object ${id} appears twice`);
    seen.add(id);
    return { id, value: nested && isTemplateId(id) ? decodeObjects(value, false) : value };
  });
}

/**
 * Decodes an MPM payload, templates into their data objects. Refuses (with
 * an EmvError and its reason) a payload whose CRC is missing, not last or
 * wrong, a malformed id or length, data cut short, or a format indicator
 * other than "01" first.
 */
export function decodeMpm(payload: string): EmvField[] {
  if (typeof payload !== 'string') throw new EmvError('TRUNCATED', 'no payload');
  const crcAt = payload.length - 8;
  if (crcAt < 0 || payload.slice(crcAt, crcAt + 4) !== '6304') throw new EmvError('MISSING_CRC', 'the payload does not end with a CRC (6304....)');
  const crc = payload.slice(crcAt + 4);
  if (!/^[0-9A-Fa-f]{4}$/.test(crc)) throw new EmvError('BAD_CRC', 'the CRC is not 4 hex digits');
  const fields = decodeObjects(payload, true);
  const last = fields[fields.length - 1];
  // the tail "6304xxxx" must be the last data object, not the end of another value
  if (!last || last.id !== '63' || last.value !== crc) throw new EmvError('MISSING_CRC', 'the CRC is not the last data object');
  if (fields.filter((f) => f.id === '63').length !== 1) throw new EmvError('DUPLICATE_ID', 'more than one CRC');
  if (parseInt(crc, 16) !== crc16CcittFalse(payload.slice(0, crcAt + 4))) throw new EmvError('BAD_CRC', 'the CRC does not match the payload');
  if (fields[0].id !== '00' || fields[0].value !== '01') throw new EmvError('BAD_FORMAT_INDICATOR', 'the payload must start with 000201');
  return fields;
}

/** The data object with this id (top level), or inside a template: `findField(fields, '26', '01')`. */
export function findField(fields: readonly EmvField[], id: string, subId?: string): string | undefined {
  const f = fields.find((x) => x.id === id);
  if (!f) return undefined;
  if (subId === undefined) return typeof f.value === 'string' ? f.value : encodeObjects(f.value);
  if (typeof f.value === 'string') return undefined;
  const sub = f.value.find((x) => x.id === subId);
  return sub && typeof sub.value === 'string' ? sub.value : undefined;
}
