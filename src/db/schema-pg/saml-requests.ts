import { pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns.js';

/** PostgreSQL twin of `schema/saml-requests.ts`. */
export const samlRequests = pgTable('saml_requests', {
  id: text('id').primaryKey(),
  idpId: text('idp_id').notNull(),
  bindingHash: text('binding_hash').notNull(),
  purpose: text('purpose').notNull(),
  target: text('target'),
  startRequestId: text('start_request_id'),
  createdAt: instant('created_at').notNull(),
  expiresAt: instant('expires_at').notNull(),
});
