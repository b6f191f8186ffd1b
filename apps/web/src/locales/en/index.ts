/**
 * The English strings: their own chunk, downloaded when English is chosen
 * (src/i18n), so a zh-CN reader's first load carries one language.
 */
import common from './common.json';
import auth from './auth.json';
import wallet from './wallet.json';
import bills from './bills.json';
import operator from './operator.json';
import admin from './admin.json';
import transit from './transit.json';
import campus from './campus.json';
import notifications from './notifications.json';

export const en = { common, auth, wallet, bills, operator, admin, transit, campus, notifications };
