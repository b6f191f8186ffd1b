import type { QueryRunner } from 'typeorm';
import { functionDefinition, rewriteDefinition } from '@app/database';

/** The function the migrations that edit billing.pay_from_wallet() in place rewrite. */
export const PAY_FROM_WALLET = 'billing.pay_from_wallet(uuid, uuid, uuid, bigint, uuid, boolean, text, text, uuid, integer)';

/** billing.pay_from_wallet()'s current definition (CREATE OR REPLACE ...), as PostgreSQL holds it. */
export const payFromWalletDefinition = (q: QueryRunner): Promise<string> => functionDefinition(q, PAY_FROM_WALLET);

export const rewritePayFromWallet = (def: string, ...edits: [string, string][]): string => rewriteDefinition('billing.pay_from_wallet()', def, ...edits);
