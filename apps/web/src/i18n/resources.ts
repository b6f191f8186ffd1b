/**
 * Every string the app shows, by language and namespace. zh-CN is the first
 * language; en must have exactly the same keys (apps/web/test/locales.spec.ts).
 * A new area (transit, campus, notifications) fills its own namespace file.
 */
import zhCommon from '../locales/zh-CN/common.json';
import zhAuth from '../locales/zh-CN/auth.json';
import zhWallet from '../locales/zh-CN/wallet.json';
import zhBills from '../locales/zh-CN/bills.json';
import zhOperator from '../locales/zh-CN/operator.json';
import zhAdmin from '../locales/zh-CN/admin.json';
import zhTransit from '../locales/zh-CN/transit.json';
import zhCampus from '../locales/zh-CN/campus.json';
import zhNotifications from '../locales/zh-CN/notifications.json';
import enCommon from '../locales/en/common.json';
import enAuth from '../locales/en/auth.json';
import enWallet from '../locales/en/wallet.json';
import enBills from '../locales/en/bills.json';
import enOperator from '../locales/en/operator.json';
import enAdmin from '../locales/en/admin.json';
import enTransit from '../locales/en/transit.json';
import enCampus from '../locales/en/campus.json';
import enNotifications from '../locales/en/notifications.json';

export const NAMESPACES = ['common', 'auth', 'wallet', 'bills', 'operator', 'admin', 'transit', 'campus', 'notifications'] as const;

export const resources = {
  'zh-CN': {
    common: zhCommon,
    auth: zhAuth,
    wallet: zhWallet,
    bills: zhBills,
    operator: zhOperator,
    admin: zhAdmin,
    transit: zhTransit,
    campus: zhCampus,
    notifications: zhNotifications,
  },
  en: {
    common: enCommon,
    auth: enAuth,
    wallet: enWallet,
    bills: enBills,
    operator: enOperator,
    admin: enAdmin,
    transit: enTransit,
    campus: enCampus,
    notifications: enNotifications,
  },
} as const;
