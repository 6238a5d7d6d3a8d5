// .env.example stays true: every variable any service reads is listed there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthConfigSchema } from '@microbazaar/auth/config';
import { CartConfigSchema } from '@microbazaar/cart/config';
import { GatewayConfigSchema } from '@microbazaar/gateway/config';
import { NotificationConfigSchema } from '@microbazaar/notification/config';
import { OrderConfigSchema } from '@microbazaar/order/config';
import { PaymentConfigSchema } from '@microbazaar/payment/config';
import { ProductConfigSchema } from '@microbazaar/product/config';
import { describe, expect, it } from 'vitest';

const listed = new Set(
  readFileSync(join(import.meta.dirname, '..', '.env.example'), 'utf8')
    .split('\n')
    .map((line) => /^#?\s*([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((name): name is string => Boolean(name)),
);

const schemas = {
  auth: AuthConfigSchema,
  product: ProductConfigSchema,
  cart: CartConfigSchema,
  order: OrderConfigSchema,
  payment: PaymentConfigSchema,
  notification: NotificationConfigSchema,
  gateway: GatewayConfigSchema,
};

describe('.env.example', () => {
  it.each(Object.entries(schemas))('lists every variable the %s service reads', (_name, schema) => {
    const missing = Object.keys(schema.properties).filter((key) => !listed.has(key));
    expect(missing).toEqual([]);
  });
});
