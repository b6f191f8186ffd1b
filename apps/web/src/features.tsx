import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import { UnreadBadge } from './notifications/live';

/**
 * The app's areas: each gives its routes and its nav entry: the citizen
 * wallet, bills, transit, campus card and notifications, the operator
 * consoles and the platform admin.
 *
 * A new area: add an entry with `routes` (lazy pages under src/pages/<area>/), `nav`
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
  /** Shown beside the nav entry (the unread count of notifications). */
  navBadge?: ComponentType;
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
  {
    id: 'transit',
    nav: { labelKey: 'transit:nav', to: '/transit' },
    routes: [
      { path: '/transit', page: page(() => import('./pages/transit/RidePage')) },
      { path: '/transit/trips', page: page(() => import('./pages/transit/TripsPage')) },
    ],
  },
  {
    id: 'campus',
    nav: { labelKey: 'campus:nav', to: '/campus' },
    routes: [
      { path: '/campus', page: page(() => import('./pages/campus/CampusPage')) },
      { path: '/campus/cards/:cardId', page: page(() => import('./pages/campus/CardPage')) },
      { path: '/campus/cards/:cardId/top-up', page: page(() => import('./pages/campus/CardTopUpPage')) },
      { path: '/campus/cards/:cardId/pin', page: page(() => import('./pages/campus/CardPinPage')) },
    ],
  },
  {
    id: 'notifications',
    nav: { labelKey: 'notifications:nav', to: '/notifications' },
    navBadge: UnreadBadge,
    routes: [{ path: '/notifications', page: page(() => import('./pages/notifications/NotificationsPage')) }],
  },
  {
    id: 'operator',
    routes: [
      { path: '/operator', page: page(() => import('./pages/operator/OperatorHome')) },
      { path: '/operator/billers/:billerId', page: page(() => import('./pages/operator/BillerConsole')) },
      { path: '/operator/transit/:operatorId', page: page(() => import('./pages/operator/TransitConsole')) },
      { path: '/operator/transit/:operatorId/vehicles/:vehicleId/sticker', page: page(() => import('./pages/operator/VehicleSticker')) },
      { path: '/operator/universities/:universityId', page: page(() => import('./pages/operator/UniversityConsole')) },
      { path: '/operator/merchants/:merchantId', page: page(() => import('./pages/operator/MerchantConsole')) },
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
