import { Transit1764600000600 } from './1764600000600-transit.js';
import { TransitFarePolicies1764600000610 } from './1764600000610-transit-fare-policies.js';
import { TransitHeldTapOuts1764700400100 } from './1764700400100-transit-held-tap-outs.js';

export const transitMigrations = [Transit1764600000600, TransitFarePolicies1764600000610, TransitHeldTapOuts1764700400100];
