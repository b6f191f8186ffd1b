import { PaymentOrderEntity } from './payment-order.entity.js';
import { PaymentRefundEntity } from './payment-refund.entity.js';

/** Payments' entities, registered with the DataSource through PaymentsModule.entities. */
export const paymentsEntities = [PaymentOrderEntity, PaymentRefundEntity];
