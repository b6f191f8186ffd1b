import { PaycodeKeys1763700460000 } from './1763700460000-paycode-keys.js';

export const paycodeKeysMigrations = [PaycodeKeys1763700460000];
