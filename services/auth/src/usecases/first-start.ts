// What a first start creates: the configured admin (or the demo one with demo data) and the demo seller.
import type { Logger } from '@microbazaar/kit';
import { type AuthConfig, bootstrapAdmin } from '../config.js';
import type { Accounts } from './accounts.js';

export const DEMO_SELLER = { email: 'seller@microbazaar.local', password: 'seller12345' };

export interface FirstStart {
  /** accounts created on this start (first start only), for the embedded platform to print once */
  bootstrapAccounts: Array<{ email: string; password: string; role: string }>;
  /** id of the demo seller when demo data is on: the embedded platform gives it to the catalog */
  demoSellerId: string | undefined;
}

export async function ensureFirstStartAccounts(
  accounts: Pick<Accounts, 'ensureBootstrapUsers' | 'userIdByEmail'>,
  config: AuthConfig,
  logger: Logger,
): Promise<FirstStart> {
  const admin = bootstrapAdmin(config);
  if (!admin)
    logger.info(
      'no ADMIN_PASSWORD: no admin account is created (set ADMIN_EMAIL and ADMIN_PASSWORD for the first start)',
    );
  const bootstrapAccounts = await accounts.ensureBootstrapUsers({
    admin,
    seller: config.DEMO_DATA ? DEMO_SELLER : undefined,
  });
  const demoSellerId = config.DEMO_DATA ? await accounts.userIdByEmail(DEMO_SELLER.email) : undefined;
  for (const account of bootstrapAccounts)
    logger.info({ email: account.email, role: account.role }, 'bootstrap account created');
  return { bootstrapAccounts, demoSellerId };
}
