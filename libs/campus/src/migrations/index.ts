import { Campus1764500000500 } from './1764500000500-campus.js';
import { CampusCards1764500000700 } from './1764500000700-campus-cards.js';
import { CampusChargeFunction1764700500100 } from './1764700500100-campus-charge-function.js';
import { CampusChargeNotifies1764800500200 } from './1764800500200-campus-charge-notifies.js';
import { CampusChargeFewerStatements1764900200100 } from './1764900200100-campus-charge-fewer-statements.js';
import { CampusChargeBatch1764900600000 } from './1764900600000-campus-charge-batch.js';
import { OfflineResultsMerchant1764900700500 } from './1764900700500-offline-results-merchant.js';

export const campusMigrations = [Campus1764500000500, CampusCards1764500000700, CampusChargeFunction1764700500100, CampusChargeNotifies1764800500200, CampusChargeFewerStatements1764900200100,
  CampusChargeBatch1764900600000,
  OfflineResultsMerchant1764900700500,
];
