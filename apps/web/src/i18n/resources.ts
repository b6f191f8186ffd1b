/**
 * Every string the app shows, by language and namespace. zh-CN is the first
 * language and part of the app's first load; English (src/locales/en/index.ts)
 * is its own chunk, loaded when chosen. en must have exactly the same keys
 * (apps/web/test/locales.spec.ts). A new area fills its own namespace file
 * in both languages and is listed here and in locales/en/index.ts.
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

export const NAMESPACES = ['common', 'auth', 'wallet', 'bills', 'operator', 'admin', 'transit', 'campus', 'notifications'] as const;

export type Bundle = Record<(typeof NAMESPACES)[number], object>;

export const zhCN: Bundle = {
  common: zhCommon,
  auth: zhAuth,
  wallet: zhWallet,
  bills: zhBills,
  operator: zhOperator,
  admin: zhAdmin,
  transit: zhTransit,
  campus: zhCampus,
  notifications: zhNotifications,
};

export const loadEnglish = (): Promise<Bundle> => import('../locales/en/index').then((m) => m.en);
