import { decodeMpm, EmvError, type EmvField, encodeMpm, findField } from './emv.js';

/**
 * The globally unique identifier of this platform in the merchant account
 * template of bus-door stickers (EMVCo: a reverse domain name or an AID).
 */
export const CITYPAY_TRANSIT_GUID = 'CN.CITYPAY.TRANSIT';
/** Merchant account information template used by the stickers (26-51 are free for payment networks). */
export const STICKER_TEMPLATE_ID = '26';
/** ISO 18245 merchant category: local and suburban commuter passenger transport. */
export const TRANSIT_MCC = '4111';
/** ISO 4217 numeric code of CNY. */
export const CNY_NUMERIC = '156';

export interface VehicleStickerInput {
  vehicleId: string;
  /** At most 25 characters (EMVCo tag 59). */
  merchantName: string;
  /** At most 15 characters (EMVCo tag 60). */
  merchantCity: string;
}

/**
 * The static EMVCo MPM payload on a bus door: format 01, static (11),
 * template 26 {00: this platform, 01: the vehicle id}, MCC 4111, currency
 * 156, country CN, merchant name and city, CRC.
 */
export function buildVehicleSticker(input: VehicleStickerInput): string {
  const check = (name: string, v: string, max: number): void => {
    if (typeof v !== 'string' || v.length === 0 || Array.from(v).length > max) throw new EmvError('VALUE_TOO_LONG', `${name} must have 1 to ${max} characters`);
  };
  check('vehicleId', input.vehicleId, 99 - 4 - CITYPAY_TRANSIT_GUID.length - 4);
  check('merchantName', input.merchantName, 25);
  check('merchantCity', input.merchantCity, 15);
  const fields: EmvField[] = [
    { id: '00', value: '01' },
    { id: '01', value: '11' },
    { id: STICKER_TEMPLATE_ID, value: [{ id: '00', value: CITYPAY_TRANSIT_GUID }, { id: '01', value: input.vehicleId }] },
    { id: '52', value: TRANSIT_MCC },
    { id: '53', value: CNY_NUMERIC },
    { id: '58', value: 'CN' },
    { id: '59', value: input.merchantName },
    { id: '60', value: input.merchantCity },
  ];
  return encodeMpm(fields);
}

/**
 * The vehicle id of a sticker payload of this platform, or undefined when
 * the payload is a valid EMVCo payload of someone else. Throws EmvError when
 * it is not a well-formed payload with a valid CRC.
 */
export function readVehicleSticker(payload: string): { vehicleId: string; merchantName?: string; merchantCity?: string } | undefined {
  const fields = decodeMpm(payload);
  for (const f of fields) {
    if (typeof f.value === 'string' || Number(f.id) < 26 || Number(f.id) > 51) continue;
    if (findField([f], f.id, '00') !== CITYPAY_TRANSIT_GUID) continue;
    const vehicleId = findField([f], f.id, '01');
    if (!vehicleId) return undefined;
    return { vehicleId, merchantName: findField(fields, '59'), merchantCity: findField(fields, '60') };
  }
  return undefined;
}
