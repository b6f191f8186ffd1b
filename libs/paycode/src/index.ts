export {
  MAX_ONLINE_CODE_LENGTH,
  MAX_OFFLINE_CODE_LENGTH,
  CODE_LIFETIME_SECONDS,
  CREDENTIAL_LIFETIME_SECONDS,
  CLOCK_SKEW_SECONDS,
  MAX_GRACE_SECONDS,
  PaycodeInputError,
  CodeTooLongError,
  newCodeId,
  mintOnlineCode,
  mintCredential,
  mintProof,
  verifyCode,
} from './codes.js';
export type {
  CodeUse,
  RefusalReason,
  RefusalDetail,
  CodeRefusal,
  VerifiedOnlineCode,
  VerifiedOfflineCode,
  VerifiedCode,
  CodeVerification,
  VerifyCodeOptions,
  MintOnlineCodeInput,
  MintedCode,
  MintCredentialInput,
  MintedCredential,
} from './codes.js';
export {
  PaycodeKeySet,
  InvalidJwksError,
  generatePaycodeSigner,
  generateP256KeyPair,
  paycodeKid,
  paycodeJwk,
  ecPublicJwk,
  isEcP256PublicJwk,
  importEcPublicJwk,
} from './keys.js';
export type { PaycodeJwk, EcPublicJwk, Jwks, PaycodeSigner } from './keys.js';
export { crc16CcittFalse, encodeTlv, decodeTlv, encodeMpm, decodeMpm, findField, isTemplateId, EmvError } from './emv.js';
export type { EmvField, EmvErrorReason } from './emv.js';
export { buildVehicleSticker, readVehicleSticker, CITYPAY_TRANSIT_GUID, STICKER_TEMPLATE_ID, TRANSIT_MCC, CNY_NUMERIC } from './sticker.js';
export type { VehicleStickerInput } from './sticker.js';
