/**
 * The citizen notifications of api.md ("Notifications and live events"):
 * each type, the data it carries (JSON: money as `{amount, currency}` in
 * integer minor units), and how it reads in zh-CN and en. Pure: no Nest, no
 * database. The stored row holds the type and the data; title and body are
 * rendered from them in the reader's language when read, so every client
 * (and the live stream) gets the same words and the wording can be fixed
 * without rewriting history.
 */

export const NOTIFICATION_TYPES = [
  'BILL_ISSUED',
  'BILL_DUE',
  'BILL_PAID',
  'AUTO_PAY_FAILED',
  'TOP_UP_SUCCEEDED',
  'RIDE_CHARGED',
  'TRIP_UNPAID',
  'ARREARS_CLEARED',
  'CARD_CHARGED',
  'CARD_FROZEN',
  'SUBSIDY_CREDITED',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const NOTIFICATION_LANGUAGES = ['zh-CN', 'en'] as const;
export type NotificationLanguage = (typeof NOTIFICATION_LANGUAGES)[number];

export interface MoneyJson {
  amount: number;
  currency: 'CNY' | 'HKD' | 'MOP';
}

/**
 * What each type carries. The named fields are the ones the texts use; a
 * context may add more (ids the client links to), kept as given.
 */
export interface NotificationData {
  /** A new bill on one of the citizen's linked accounts. */
  BILL_ISSUED: { billId: string; billerId: string; billerName: string; customerRef: string; period: string; amount: MoneyJson; dueDate: string };
  /** Due within three days and still not paid in full. */
  BILL_DUE: { billId: string; billerId: string; billerName: string; customerRef: string; period: string; outstanding: MoneyJson; dueDate: string };
  BILL_PAID: { billId: string; paymentId: string; billerName: string; customerRef: string; period: string; amount: MoneyJson; receiptNo: string };
  AUTO_PAY_FAILED: { billId: string; accountId: string; billerName: string; customerRef: string; period: string; reason: string };
  TOP_UP_SUCCEEDED: { orderId: string; amount: MoneyJson; provider: string };
  RIDE_CHARGED: { tripId: string; fare: MoneyJson; routeName?: string };
  TRIP_UNPAID: { tripId: string; fare: MoneyJson; routeName?: string };
  ARREARS_CLEARED: { amount: MoneyJson };
  CARD_CHARGED: { chargeId: string; amount: MoneyJson; merchantName?: string };
  CARD_FROZEN: { cardId: string };
  SUBSIDY_CREDITED: { amount: MoneyJson; universityName?: string };
}

/** One notification to write: `data` as its type says, extra fields allowed. */
export type NotificationInput = {
  [T in NotificationType]: {
    userId: string;
    type: T;
    data: NotificationData[T] & Record<string, unknown>;
    /**
     * Makes the write idempotent: a second notification of this type, user
     * and key is not written (e.g. BILL_DUE once per bill: `key: billId`).
     */
    key?: string;
  };
}[NotificationType];

export function isNotificationType(value: unknown): value is NotificationType {
  return typeof value === 'string' && (NOTIFICATION_TYPES as readonly string[]).includes(value);
}

const SYMBOL: Record<MoneyJson['currency'], string> = { CNY: '¥', HKD: 'HK$', MOP: 'MOP$' };

/** `¥12.34`: minor units as a decimal, without floats. */
export function formatMoney(m: MoneyJson | undefined): string {
  if (!m || !Number.isSafeInteger(m.amount)) return '';
  const negative = m.amount < 0;
  const units = BigInt(Math.abs(m.amount));
  const whole = units / 100n;
  const cents = (units % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${SYMBOL[m.currency] ?? `${m.currency} `}${whole}.${cents}`;
}

const PROVIDERS: Record<string, Record<NotificationLanguage, string>> = {
  ALIPAY: { 'zh-CN': '支付宝', en: 'Alipay' },
  WECHAT_PAY: { 'zh-CN': '微信支付', en: 'WeChat Pay' },
  UNIONPAY: { 'zh-CN': '银联', en: 'UnionPay' },
  ALIPAY_HK: { 'zh-CN': 'AlipayHK', en: 'AlipayHK' },
};

type Texts = { [T in NotificationType]: Record<NotificationLanguage, (d: NotificationData[T]) => { title: string; body: string }> };

const TEXTS: Texts = {
  BILL_ISSUED: {
    'zh-CN': (d) => ({ title: '新账单', body: `${d.billerName}（户号 ${d.customerRef}）${d.period} 账单 ${formatMoney(d.amount)}，请于 ${d.dueDate} 前缴纳。` }),
    en: (d) => ({ title: 'New bill', body: `${d.billerName} (account ${d.customerRef}) bill for ${d.period}: ${formatMoney(d.amount)}, due ${d.dueDate}.` }),
  },
  BILL_DUE: {
    'zh-CN': (d) => ({ title: '账单即将到期', body: `${d.billerName}（户号 ${d.customerRef}）${d.period} 账单尚欠 ${formatMoney(d.outstanding)}，将于 ${d.dueDate} 到期。` }),
    en: (d) => ({ title: 'Bill due soon', body: `${d.billerName} (account ${d.customerRef}) bill for ${d.period}: ${formatMoney(d.outstanding)} outstanding, due ${d.dueDate}.` }),
  },
  BILL_PAID: {
    'zh-CN': (d) => ({ title: '账单已缴费', body: `${d.billerName}（户号 ${d.customerRef}）${d.period} 已缴 ${formatMoney(d.amount)}，凭证号 ${d.receiptNo}。` }),
    en: (d) => ({ title: 'Bill paid', body: `${d.billerName} (account ${d.customerRef}) ${d.period}: ${formatMoney(d.amount)} paid, receipt ${d.receiptNo}.` }),
  },
  AUTO_PAY_FAILED: {
    'zh-CN': (d) => ({ title: '自动缴费未成功', body: `${d.billerName}（户号 ${d.customerRef}）${d.period} 账单未能自动缴纳，请手动缴费。原因：${d.reason}` }),
    en: (d) => ({ title: 'Auto-pay did not pay', body: `${d.billerName} (account ${d.customerRef}) bill for ${d.period} was not paid automatically; please pay it yourself. Reason: ${d.reason}` }),
  },
  TOP_UP_SUCCEEDED: {
    'zh-CN': (d) => ({ title: '充值成功', body: `通过${PROVIDERS[d.provider]?.['zh-CN'] ?? d.provider}充值 ${formatMoney(d.amount)} 已到账。` }),
    en: (d) => ({ title: 'Top-up received', body: `${formatMoney(d.amount)} topped up via ${PROVIDERS[d.provider]?.en ?? d.provider} is in your wallet.` }),
  },
  RIDE_CHARGED: {
    'zh-CN': (d) => ({ title: '乘车扣费', body: `${d.routeName ? `${d.routeName} ` : ''}本次乘车扣费 ${formatMoney(d.fare)}。` }),
    en: (d) => ({ title: 'Ride charged', body: `${d.routeName ? `${d.routeName}: ` : ''}${formatMoney(d.fare)} charged for your ride.` }),
  },
  TRIP_UNPAID: {
    'zh-CN': (d) => ({ title: '乘车费用未支付', body: `${d.routeName ? `${d.routeName} ` : ''}本次乘车 ${formatMoney(d.fare)} 未能扣款，已计入欠款，请尽快补缴。` }),
    en: (d) => ({ title: 'Ride not paid', body: `${d.routeName ? `${d.routeName}: ` : ''}${formatMoney(d.fare)} could not be charged and is now owed; please pay it.` }),
  },
  ARREARS_CLEARED: {
    'zh-CN': (d) => ({ title: '欠款已结清', body: `乘车欠款 ${formatMoney(d.amount)} 已结清，乘车码恢复可用。` }),
    en: (d) => ({ title: 'Arrears cleared', body: `Your ride arrears of ${formatMoney(d.amount)} are paid; your ride code works again.` }),
  },
  CARD_CHARGED: {
    'zh-CN': (d) => ({ title: '校园卡消费', body: `${d.merchantName ? `${d.merchantName} ` : ''}消费 ${formatMoney(d.amount)}。` }),
    en: (d) => ({ title: 'Campus card charged', body: `${formatMoney(d.amount)} charged${d.merchantName ? ` at ${d.merchantName}` : ''}.` }),
  },
  CARD_FROZEN: {
    'zh-CN': () => ({ title: '校园卡已冻结', body: '你的校园卡已冻结，解冻前无法消费。' }),
    en: () => ({ title: 'Campus card frozen', body: 'Your campus card is frozen; it cannot pay until it is unfrozen.' }),
  },
  SUBSIDY_CREDITED: {
    'zh-CN': (d) => ({ title: '补贴到账', body: `${d.universityName ? `${d.universityName} ` : ''}补贴 ${formatMoney(d.amount)} 已存入校园卡。` }),
    en: (d) => ({ title: 'Subsidy received', body: `A subsidy of ${formatMoney(d.amount)}${d.universityName ? ` from ${d.universityName}` : ''} is on your campus card.` }),
  },
};

/** Title and body of a stored notification in this language. */
export function renderNotification(type: NotificationType, data: unknown, language: NotificationLanguage): { title: string; body: string } {
  const render = TEXTS[type][language] as (d: unknown) => { title: string; body: string };
  return render((data ?? {}) as object);
}

/**
 * The reader's language from `?lang=` or Accept-Language: English when it
 * is preferred over Chinese, zh-CN otherwise (the app is Chinese first).
 */
export function pickLanguage(explicit: string | undefined, acceptLanguage: string | undefined): NotificationLanguage {
  if (explicit) return explicit.toLowerCase().startsWith('en') ? 'en' : 'zh-CN';
  if (!acceptLanguage) return 'zh-CN';
  const ranked = acceptLanguage
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((l) => l.tag && l.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const l of ranked) {
    if (l.tag.startsWith('zh')) return 'zh-CN';
    if (l.tag.startsWith('en')) return 'en';
  }
  return 'zh-CN';
}
