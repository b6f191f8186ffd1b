import { Injectable } from '@nestjs/common';
import type { PaymentPurposeHandler } from './payment-order.js';

/** Completion handlers by purpose; modules register theirs at init. */
@Injectable()
export class PaymentPurposes {
  private readonly handlers = new Map<string, PaymentPurposeHandler>();

  register(purpose: string, handler: PaymentPurposeHandler): void {
    if (!/^[A-Z][A-Z0-9_]*$/.test(purpose)) throw new Error(`bad purpose name ${purpose}`);
    if (this.handlers.has(purpose)) throw new Error(`payment purpose ${purpose} registered twice`);
    this.handlers.set(purpose, handler);
  }

  get(purpose: string): PaymentPurposeHandler {
    const handler = this.handlers.get(purpose);
    if (!handler) throw new Error(`no handler for payment purpose ${purpose}`);
    return handler;
  }
}
