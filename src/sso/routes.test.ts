// The ACS's registry of login completions: one per purpose, checked at start.
import { describe, expect, it } from 'vitest';
import { createSamlWorld } from '../../test/support/saml/world.js';
import { openTokenPath } from '../../test/support/token-path.js';
import { createPendingLogins } from './pending-logins.js';
import { samlRoutes, type LoginCompletion } from './routes.js';
import { createSsoService } from './sso-service.js';

describe('samlRoutes: login completions', () => {
  it('refuses two completions for one purpose at start', async () => {
    const [w, p] = await Promise.all([createSamlWorld(), openTokenPath()]);
    try {
      const sso = createSsoService({ sp: w.provider, pending: createPendingLogins(p.database.db), audit: p.audit, clock: w.clock, loginTtlSeconds: 300 });
      const completion = (purpose: LoginCompletion['purpose']): LoginCompletion => ({ purpose, accepts: () => true, complete: async (c) => c.body(null, 204) });
      const routes = (completions: LoginCompletion[]) => samlRoutes({ audit: p.audit, sp: w.provider, sso, defaultIdp: 'shib', loginTtlSeconds: 300, maxResponseBytes: 65536, completions });
      expect(() => routes([completion('launch'), completion('admin')])).not.toThrow();
      expect(() => routes([completion('launch'), completion('admin'), completion('launch')])).toThrow(new Error('two login completions for purpose launch'));
    } finally {
      p.close();
    }
  });
});
