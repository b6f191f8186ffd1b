import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

/**
 * The app's areas: each gives its routes and its nav entry. The citizen
 * wallet and bills, the biller console and the platform admin exist today.
 *
 * Transit, campus and notifications plug in here when their API lands:
 * add an entry with `routes` (lazy pages under src/pages/<area>/), `nav`
 * (the i18n key in that area's namespace, src/locales/<lang>/<area>.json,
 * whose `title` is already there) and, for operator pages, the organisation
 * kind it serves (OperatorHome lists the caller's organisations by kind).
 */
export interface FeatureRoute {
  path: string;
  page: LazyExoticComponent<ComponentType>;
  /** false: reachable without a session (the sandbox checkout). */
  auth?: boolean;
}

export interface Feature {
  id: string;
  /** Bottom/side navigation entry for citizens: i18n key and path. */
  nav?: { labelKey: string; to: string };
  routes: FeatureRoute[];
}

const page = (load: () => Promise<{ default: ComponentType }>) => lazy(load);

export const FEATURES: Feature[] = [
  {
    id: 'wallet',
    nav: { labelKey: 'wallet:nav', to: '/wallet' },
    routes: [
      { path: '/wallet', page: page(() => import('./pages/wallet/WalletPage')) },
      { path: '/wallet/top-up', page: page(() => import('./pages/wallet/TopUpPage')) },
      { path: '/wallet/top-ups/:orderId', page: page(() => import('./pages/wallet/TopUpOrderPage')) },
      { path: '/verify', page: page(() => import('./pages/wallet/RealNamePage')) },
      { path: '/sandbox-checkout/:provider/:tradeId', page: page(() => import('./pages/wallet/SandboxCheckoutPage')), auth: false },
    ],
  },
  {
    id: 'bills',
    nav: { labelKey: 'bills:nav', to: '/bills' },
    routes: [
      { path: '/bills', page: page(() => import('./pages/bills/BillsPage')) },
      { path: '/bills/link', page: page(() => import('./pages/bills/LinkAccountPage')) },
      { path: '/bills/:billId/pay', page: page(() => import('./pages/bills/PayBillPage')) },
      { path: '/payments/:paymentId', page: page(() => import('./pages/bills/ReceiptPage')) },
      { path: '/bills/accounts/:accountId/auto-pay', page: page(() => import('./pages/bills/AutoPayPage')) },
    ],
  },
  // { id: 'transit', nav: { labelKey: 'transit:nav', to: '/transit' }, routes: [...] },            <- transit team
  // { id: 'campus', nav: { labelKey: 'campus:nav', to: '/campus' }, routes: [...] },                <- campus team
  // { id: 'notifications', nav: { labelKey: 'notifications:nav', to: '/notifications' }, routes: [...] }  <- notifications team
  {
    id: 'operator',
    routes: [
      { path: '/operator', page: page(() => import('./pages/operator/OperatorHome')) },
      { path: '/operator/billers/:billerId', page: page(() => import('./pages/operator/BillerConsole')) },
    ],
  },
  {
    id: 'admin',
    routes: [
      { path: '/admin', page: page(() => import('./pages/admin/AdminPage')) },
      { path: '/admin/reconciliation', page: page(() => import('./pages/admin/ReconciliationPage')) },
    ],
  },
];
