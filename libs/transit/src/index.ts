export { TransitModule, OVERDUE_TAP_INS_JOB } from './transit.module.js';
export { TripsService } from './trips.service.js';
export type { TripView, RouteSettlement } from './trips.service.js';
export { TapsService } from './taps.service.js';
export type { TapResult, TapStatus, TapReason } from './taps.service.js';
export { RidersService } from './riders.service.js';
export { RIDE_CODE_KEYS } from './ride-code-keys.js';
export type { RideCodeKeys } from './ride-code-keys.js';
export * from './transit.errors.js';
