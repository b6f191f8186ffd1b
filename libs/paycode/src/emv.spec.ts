import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { crc16CcittFalse, decodeMpm, decodeTlv, EmvError, type EmvField, encodeMpm, findField } from './emv.js';
import { buildVehicleSticker, CITYPAY_TRANSIT_GUID, readVehicleSticker } from './sticker.js';

/** The example payload of the EMVCo MPM specification (appendix), with its CRC A13A. */
const EMVCO_SPEC_EXAMPLE =
  '00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING' +
  '64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A';

/** A dynamic MPM payload published in an open-source decoder's documentation (CRC 1FF2). */
const PUBLISHED_KH_EXAMPLE = '00020101021252044131153137210116372101160123456789ABCDE6016Banteay Meanchey5913Kuntheas Shop5802KH540510.005303840621201081234567863041FF2';

function reason(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof EmvError) return err.reason;
    throw err;
  }
  return undefined;
}

describe('CRC-16/CCITT-FALSE', () => {
  it('has the catalogued check value: "123456789" -> 0x29B1', () => {
    expect(crc16CcittFalse('123456789')).toBe(0x29b1);
    expect(crc16CcittFalse(Buffer.from('123456789'))).toBe(0x29b1);
  });

  it('is 0xFFFF for no data (the initial value)', () => {
    expect(crc16CcittFalse('')).toBe(0xffff);
  });
});

describe('EMVCo MPM decoder on published examples', () => {
  it('decodes the EMVCo specification example (UTF-8 Chinese in the language template, lengths in characters)', () => {
    const fields = decodeMpm(EMVCO_SPEC_EXAMPLE);
    expect(fields.map((f) => f.id)).toEqual(['00', '01', '29', '31', '52', '58', '59', '60', '64', '54', '53', '55', '62', '91', '63']);
    expect(findField(fields, '29', '00')).toBe('D15600000000');
    expect(findField(fields, '29', '05')).toBe('A93FO3230Q');
    expect(findField(fields, '31', '03')).toBe('12345678');
    expect(findField(fields, '52')).toBe('4111');
    expect(findField(fields, '53')).toBe('156');
    expect(findField(fields, '54')).toBe('23.72');
    expect(findField(fields, '58')).toBe('CN');
    expect(findField(fields, '59')).toBe('BEST TRANSPORT');
    expect(findField(fields, '60')).toBe('BEIJING');
    expect(findField(fields, '64', '01')).toBe('最佳运输');
    expect(findField(fields, '64', '02')).toBe('北京');
    expect(findField(fields, '62', '03')).toBe('1234');
    expect(findField(fields, '62', '06')).toBe('***');
    expect(findField(fields, '62', '07')).toBe('A6008667');
    expect(findField(fields, '62', '09')).toBe('ME');
    expect(findField(fields, '91', '00')).toBe('A011223344998877');
    expect(findField(fields, '63')).toBe('A13A');
  });

  it('re-encodes the specification example to the same string and CRC', () => {
    expect(encodeMpm(decodeMpm(EMVCO_SPEC_EXAMPLE))).toBe(EMVCO_SPEC_EXAMPLE);
  });

  it('decodes a second published payload and its CRC', () => {
    const fields = decodeMpm(PUBLISHED_KH_EXAMPLE);
    expect(findField(fields, '59')).toBe('Kuntheas Shop');
    expect(findField(fields, '60')).toBe('Banteay Meanchey');
    expect(findField(fields, '62', '01')).toBe('12345678');
    expect(encodeMpm(fields)).toBe(PUBLISHED_KH_EXAMPLE);
  });
});

describe('EMVCo MPM refusals', () => {
  it('refuses a wrong CRC, a changed character anywhere, a lower/upper mix that changes the value', () => {
    expect(reason(() => decodeMpm(EMVCO_SPEC_EXAMPLE.slice(0, -4) + 'A13B'))).toBe('BAD_CRC');
    expect(reason(() => decodeMpm(EMVCO_SPEC_EXAMPLE.replace('BEIJING', 'BEIJINX')))).toBe('BAD_CRC');
    expect(reason(() => decodeMpm(EMVCO_SPEC_EXAMPLE.slice(0, -4) + 'ZZZZ'))).toBe('BAD_CRC');
  });

  it('accepts a lower-case CRC of the right value', () => {
    expect(decodeMpm(EMVCO_SPEC_EXAMPLE.slice(0, -4) + 'a13a')).toHaveLength(15);
  });

  it('refuses a payload without its CRC, or with the CRC not last', () => {
    expect(reason(() => decodeMpm(EMVCO_SPEC_EXAMPLE.slice(0, -8)))).toBe('MISSING_CRC');
    expect(reason(() => decodeMpm(''))).toBe('MISSING_CRC');
    // "6304xxxx" hidden at the end of another value
    const hidden = encodeMpm([{ id: '00', value: '01' }, { id: '59', value: 'X6304ABCD' }]).slice(0, -8);
    expect(reason(() => decodeMpm(hidden))).toBe('MISSING_CRC');
  });

  it('refuses malformed lengths, malformed ids and truncated data', () => {
    const withBody = (body: string): string => {
      const b = body + '6304';
      return b + crc16CcittFalse(b).toString(16).toUpperCase().padStart(4, '0');
    };
    expect(reason(() => decodeMpm(withBody('000201590XABCD')))).toBe('MALFORMED_LENGTH');
    expect(reason(() => decodeMpm(withBody('00020159004ABCD')))).toBe('MALFORMED_LENGTH');
    expect(reason(() => decodeMpm(withBody('000201A904ABCD')))).toBe('MALFORMED_ID');
    expect(reason(() => decodeMpm(withBody('0002015999ABCD')))).toBe('TRUNCATED');
    expect(reason(() => decodeTlv('000201590'))).toBe('TRUNCATED');
    expect(reason(() => decodeMpm(withBody('0002012604000')))).toBe('TRUNCATED');
    // a template whose inner length runs past its end
    expect(reason(() => decodeMpm(withBody('00020126080009ABCD')))).toBe('TRUNCATED');
  });

  it('refuses a payload that does not start with 000201, and repeated ids', () => {
    const p = encodeMpm([{ id: '01', value: '11' }, { id: '00', value: '01' }]);
    expect(reason(() => decodeMpm(p))).toBe('BAD_FORMAT_INDICATOR');
    expect(reason(() => decodeMpm(encodeMpm([{ id: '00', value: '02' }])))).toBe('BAD_FORMAT_INDICATOR');
    expect(reason(() => decodeMpm(encodeMpm([{ id: '00', value: '01' }, { id: '59', value: 'A' }, { id: '59', value: 'B' }])))).toBe('DUPLICATE_ID');
  });

  it('refuses to encode values of 0 or more than 99 characters and bad ids', () => {
    expect(reason(() => encodeMpm([{ id: '59', value: '' }]))).toBe('VALUE_TOO_LONG');
    expect(reason(() => encodeMpm([{ id: '59', value: 'x'.repeat(100) }]))).toBe('VALUE_TOO_LONG');
    expect(reason(() => encodeMpm([{ id: '5', value: 'x' }]))).toBe('MALFORMED_ID');
  });
});

describe('EMVCo MPM round trips (fast-check)', () => {
  const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });
  const primitiveId = fc.constantFrom('01', '52', '53', '54', '58', '59', '60', '61', '65', '70');
  const templateId = fc.constantFrom('26', '27', '33', '51', '62', '64', '80', '99');
  const subId = fc.integer({ min: 0, max: 99 }).map((n) => String(n).padStart(2, '0'));
  const sub = fc.uniqueArray(fc.record({ id: subId, value: text }), { minLength: 1, maxLength: 4, selector: (f) => f.id });
  const field = fc.oneof(fc.record({ id: primitiveId, value: text }), fc.record({ id: templateId, value: sub }));
  const payloadFields = fc
    .uniqueArray(field, { maxLength: 6, selector: (f) => f.id })
    .filter((fs) => fs.every((f) => typeof f.value === 'string' || Array.from(f.value.map((s) => s.id + '00' + s.value).join('')).length <= 99));

  it('decode(encode(fields)) gives the fields back, and encode(decode(p)) gives p back', () => {
    fc.assert(
      fc.property(payloadFields, (fs) => {
        const fields: EmvField[] = [{ id: '00', value: '01' }, ...fs];
        const payload = encodeMpm(fields);
        const decoded = decodeMpm(payload);
        expect(decoded.slice(0, -1)).toEqual(fields);
        expect(decoded[decoded.length - 1].id).toBe('63');
        expect(encodeMpm(decoded)).toBe(payload);
      }),
    );
  });

  // what CRC-16 guarantees: an error burst of at most 16 bits is always detected, so any single
  // changed ASCII character (one byte of the UTF-8 the CRC covers) is. A character of several bytes
  // replaced by one shifts the bytes after it: that change is caught only with probability
  // 1 - 2^-16, and a run of this property once met such a collision (a 4-byte character replaced
  // by a space, seed 451059573); EMVCo's IDs, lengths and most values are ASCII.
  it('any single changed ASCII character is refused', () => {
    fc.assert(
      fc.property(payloadFields, fc.nat(), fc.constantFrom('0', '7', 'A', 'z', ' '), (fs, at, ch) => {
        const payload = encodeMpm([{ id: '00', value: '01' }, ...fs]);
        const chars = Array.from(payload);
        const ascii = chars.flatMap((c, k) => (c.length === 1 && c.charCodeAt(0) < 0x80 ? [k] : []));
        const i = ascii[at % ascii.length]!;
        fc.pre(chars[i] !== ch && !(i >= chars.length - 4 && ch.toUpperCase() === chars[i].toUpperCase()));
        chars[i] = ch;
        expect(() => decodeMpm(chars.join(''))).toThrow(EmvError);
      }),
    );
  });
});

describe('bus-door sticker', () => {
  it('names this platform and the vehicle, MCC 4111, CNY, CN, name and city, with a valid CRC', () => {
    const payload = buildVehicleSticker({ vehicleId: '3f1c9a7e-51b2-4c1d-9e0f-2b7d6a1c4e55', merchantName: 'Binhai Bus', merchantCity: 'Tianjin' });
    const fields = decodeMpm(payload);
    expect(payload.startsWith('000201010211')).toBe(true);
    expect(findField(fields, '26', '00')).toBe(CITYPAY_TRANSIT_GUID);
    expect(findField(fields, '26', '01')).toBe('3f1c9a7e-51b2-4c1d-9e0f-2b7d6a1c4e55');
    expect(findField(fields, '52')).toBe('4111');
    expect(findField(fields, '53')).toBe('156');
    expect(findField(fields, '58')).toBe('CN');
    expect(findField(fields, '59')).toBe('Binhai Bus');
    expect(findField(fields, '60')).toBe('Tianjin');
    expect(readVehicleSticker(payload)).toEqual({ vehicleId: '3f1c9a7e-51b2-4c1d-9e0f-2b7d6a1c4e55', merchantName: 'Binhai Bus', merchantCity: 'Tianjin' });
  });

  it('reads no vehicle from another network\'s payload, and throws on a broken one', () => {
    expect(readVehicleSticker(EMVCO_SPEC_EXAMPLE)).toBeUndefined();
    const payload = buildVehicleSticker({ vehicleId: 'V1', merchantName: 'Bus', merchantCity: 'Tianjin' });
    expect(() => readVehicleSticker(payload.replace('V1', 'V2'))).toThrow(EmvError);
  });

  it('refuses a merchant name over 25 or a city over 15 characters', () => {
    expect(() => buildVehicleSticker({ vehicleId: 'V1', merchantName: 'x'.repeat(26), merchantCity: 'Tianjin' })).toThrow(EmvError);
    expect(() => buildVehicleSticker({ vehicleId: 'V1', merchantName: 'Bus', merchantCity: 'x'.repeat(16) })).toThrow(EmvError);
  });
});
