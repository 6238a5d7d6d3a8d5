// Users as admins see and change them, the revocation feed every verifier polls, and the accounts a
// first start creates (the configured admin, the demo seller).
import { Conflict, type Db, keysetPage, NotFound, type Role } from '@microbazaar/kit';
import type { PasswordHasher } from '../adapters/passwords.js';
import { normaliseEmail, type PublicUser, presentUser } from '../domain/users.js';
import { refreshTokenStore } from '../store/tokens.js';
import { userStore } from '../store/users.js';

export interface Credentials {
  email: string;
  password: string;
}

export function createUsers({ db, hasher }: { db: Db; hasher: PasswordHasher }) {
  return {
    async listUsers(q: {
      limit: number;
      afterId?: string | undefined;
      role?: Role | undefined;
      q?: string | undefined;
    }): Promise<{ items: PublicUser[]; nextCursor: string | null }> {
      const page = keysetPage(await userStore(db).page(q), q.limit, (u) => [u.id]);
      return { items: page.items.map(presentUser), nextCursor: page.nextCursor };
    },

    async getUser(id: string): Promise<PublicUser> {
      const user = await userStore(db).byId(id);
      if (!user) throw new NotFound('User not found', 'USER_NOT_FOUND');
      return presentUser(user);
    },

    /** Admin: change role or disable. Disabling ends every session (refresh fails at once). */
    async updateUser(
      actorId: string,
      id: string,
      change: { role?: Role | undefined; disabled?: boolean | undefined },
    ): Promise<PublicUser> {
      if (actorId === id)
        throw new Conflict('Admins cannot change their own role or disable themselves', 'SELF_CHANGE');
      return db.transaction(async (tx) => {
        const user = await userStore(tx).update(id, change);
        if (!user) throw new NotFound('User not found', 'USER_NOT_FOUND');
        if (change.disabled === true) await refreshTokenStore(tx).revokeAllForUser(id);
        return presentUser(user);
      });
    },

    /** The token revocation feed every verifier polls (see kit RevocationList). */
    revocations(cursor: string | undefined) {
      return userStore(db).revocations(cursor);
    },

    async userIdByEmail(email: string): Promise<string | undefined> {
      return (await userStore(db).byEmail(normaliseEmail(email)))?.id;
    },

    /**
     * First start: the admin from config, and a demo seller when demo data is on.
     * Returns the accounts it created so the embedded platform can print them once.
     */
    async ensureBootstrapUsers(opts: {
      admin?: Credentials | undefined;
      seller?: Credentials | undefined;
    }): Promise<Array<Credentials & { role: Role }>> {
      const created: Array<Credentials & { role: Role }> = [];
      const wanted: Array<[Credentials | undefined, Role, string]> = [
        [opts.admin, 'admin', 'Admin'],
        [opts.seller, 'seller', 'Demo Seller'],
      ];
      for (const [account, role, name] of wanted) {
        if (!account) continue;
        const email = normaliseEmail(account.email);
        if (await userStore(db).byEmail(email)) continue;
        const passwordHash = await hasher.hash(account.password);
        const user = await userStore(db).insert({ email, name, passwordHash, role });
        if (user) created.push({ email: user.email, password: account.password, role });
      }
      return created;
    },
  };
}
