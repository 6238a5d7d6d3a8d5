// A user's notification preferences: which channels, and the phone number SMS go to.
import { type App, errorResponses, principalOf } from '@microbazaar/kit';
import type { PreferencesUseCase } from '../usecases/preferences.js';
import type { Access } from './access.js';
import { Preferences, PreferencesChange } from './schemas.js';

export function preferenceRoutes(app: App, deps: { preferences: PreferencesUseCase; access: Access }) {
  const { preferences, access } = deps;
  const common = { tags: ['notifications'], security: [{ bearerAuth: [] }] };

  app.get(
    '/api/notifications/preferences',
    {
      preHandler: access.user,
      schema: {
        ...common,
        summary: 'My notification preferences (defaults until changed: email and in-app on, SMS off)',
        response: { 200: Preferences, ...errorResponses(401, 503) },
      },
    },
    async (req) => preferences.get(principalOf(req).userId),
  );

  app.put(
    '/api/notifications/preferences',
    {
      preHandler: access.user,
      schema: {
        ...common,
        summary: 'Change my notification preferences (password reset mails go whatever is set)',
        body: PreferencesChange,
        response: { 200: Preferences, ...errorResponses(400, 401, 503) },
      },
    },
    async (req) => preferences.change(principalOf(req).userId, req.body),
  );
}
