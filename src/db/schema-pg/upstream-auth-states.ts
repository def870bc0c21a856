import { index, pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns.js';

/** PostgreSQL twin of `schema/upstream-auth-states.ts`. */
export const upstreamAuthStates = pgTable(
  'upstream_auth_states',
  {
    stateHash: text('state_hash').primaryKey(),
    upstreamId: text('upstream_id').notNull(),
    bindingHash: text('binding_hash').notNull(),
    keyId: text('key_id').notNull(),
    codeVerifierSealed: text('code_verifier_sealed').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    actor: text('actor').notNull(),
    createdAt: instant('created_at').notNull(),
    expiresAt: instant('expires_at').notNull(),
  },
  (t) => [index('upstream_auth_states_expires').on(t.expiresAt)],
);
