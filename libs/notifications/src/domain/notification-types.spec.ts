import { describe, expect, it } from '@jest/globals';
import { formatMoney, NOTIFICATION_LANGUAGES, NOTIFICATION_TYPES, pickLanguage, renderNotification } from './notification-types.js';
import type { NotificationData } from './notification-types.js';

const cny = (amount: number) => ({ amount, currency: 'CNY' as const });

/** One sample of each type's data, as the contexts write it. */
const SAMPLES: NotificationData = {
  BILL_ISSUED: { billId: 'b', billerId: 'o', billerName: '国网天津', customerRef: 'C1', period: '2026-11', amount: cny(12345), dueDate: '2026-12-15' },
  BILL_DUE: { billId: 'b', billerId: 'o', billerName: '国网天津', customerRef: 'C1', period: '2026-11', outstanding: cny(100), dueDate: '2026-12-15' },
  BILL_PAID: { billId: 'b', paymentId: 'p', billerName: '国网天津', customerRef: 'C1', period: '2026-11', amount: cny(5), receiptNo: 'BP20261201-00000001' },
  AUTO_PAY_FAILED: { billId: 'b', accountId: 'a', billerName: '国网天津', customerRef: 'C1', period: '2026-11', reason: 'INSUFFICIENT_FUNDS' },
  TOP_UP_SUCCEEDED: { orderId: 'o', amount: cny(2500), provider: 'UNIONPAY' },
  RIDE_CHARGED: { tripId: 't', fare: cny(200), routeName: '908路' },
  TRIP_UNPAID: { tripId: 't', fare: cny(200) },
  ARREARS_CLEARED: { amount: cny(400) },
  CARD_CHARGED: { chargeId: 'c', amount: cny(1250), merchantName: '第一食堂' },
  CARD_FROZEN: { cardId: 'k' },
  SUBSIDY_CREDITED: { amount: { amount: 30000, currency: 'CNY' } },
};

describe('notification texts', () => {
  it('renders every type in zh-CN and en, with no placeholder left', () => {
    for (const type of NOTIFICATION_TYPES) {
      for (const language of NOTIFICATION_LANGUAGES) {
        const { title, body } = renderNotification(type, SAMPLES[type], language);
        expect([type, language, title.length > 0, body.length > 0]).toEqual([type, language, true, true]);
        expect(body).not.toMatch(/undefined|null|NaN|\$\{/);
      }
    }
    expect(renderNotification('BILL_ISSUED', SAMPLES.BILL_ISSUED, 'zh-CN').body).toBe('国网天津（户号 C1）2026-11 账单 ¥123.45，请于 2026-12-15 前缴纳。');
    expect(renderNotification('CARD_CHARGED', SAMPLES.CARD_CHARGED, 'en').body).toBe('¥12.50 charged at 第一食堂.');
    expect(renderNotification('TRIP_UNPAID', SAMPLES.TRIP_UNPAID, 'en').body).toBe('¥2.00 could not be charged and is now owed; please pay it.');
  });

  it('formats minor units without floats, per currency', () => {
    expect(formatMoney(cny(1))).toBe('¥0.01');
    expect(formatMoney(cny(100_000_000))).toBe('¥1000000.00');
    expect(formatMoney({ amount: 1050, currency: 'HKD' })).toBe('HK$10.50');
    expect(formatMoney({ amount: -7, currency: 'MOP' })).toBe('-MOP$0.07');
  });

  it('picks the language: ?lang= first, then Accept-Language by weight, zh-CN by default', () => {
    expect(pickLanguage(undefined, undefined)).toBe('zh-CN');
    expect(pickLanguage('en', 'zh-CN')).toBe('en');
    expect(pickLanguage('zh-CN', 'en')).toBe('zh-CN');
    expect(pickLanguage(undefined, 'en-US,en;q=0.9')).toBe('en');
    expect(pickLanguage(undefined, 'zh-TW;q=0.5, en;q=0.8')).toBe('en');
    expect(pickLanguage(undefined, 'fr, zh-HK;q=0.3, en;q=0.2')).toBe('zh-CN');
    expect(pickLanguage(undefined, 'fr, de')).toBe('zh-CN');
    expect(pickLanguage(undefined, 'en;q=0, zh')).toBe('zh-CN');
  });
});
