import { createPgMasterKeyResealStore } from './sealed-columns-pg.js';
import { pgHarness } from './pg/harness.contract.js';
import { launchCodes } from './schema/launch-codes.js';
import { serviceSecrets } from './schema/service-secrets.js';
import { signingKeys } from './schema/signing-keys.js';
import { upstreamAuthStates } from './schema/upstream-auth-states.js';
import * as pgSchema from './schema-pg/index.js';
import { describeMasterKeyResealStoreContract } from './sealed-columns.contract.js';
import { createMasterKeyResealStore } from './sealed-columns.js';
import { sqliteHarness } from './sqlite-harness.contract.js';
import { pgOf, sqliteOf } from './tx.js';

const at = new Date('2026-11-23T10:00:00.000Z');

/** The row each table is seeded with, the same on both engines. */
const seedRows = (key: string, sealed: string) => ({
  signing_keys: { kid: key, alg: 'ES256' as const, publicJwk: '{}', privateJwkSealed: sealed, status: 'retired' as const, createdAt: at },
  service_secrets: { name: key, sealed, createdAt: at },
  launch_codes: { codeHash: key, surveyId: 's', jti: key, payloadSealed: sealed, createdAt: at, expiresAt: at },
  upstream_auth_states: { stateHash: key, upstreamId: 'u', bindingHash: 'b', keyId: sealed.split('.')[1]!, codeVerifierSealed: sealed, redirectUri: 'https://sts.example/cb', actor: 'a', createdAt: at, expiresAt: at },
});

describeMasterKeyResealStoreContract(
  'SQLite',
  sqliteHarness((db) => ({
    store: createMasterKeyResealStore(db),
    async seed(tx, table, key, sealed) {
      const on = sqliteOf(tx);
      const rows = seedRows(key, sealed);
      if (table === 'signing_keys') on.insert(signingKeys).values(rows.signing_keys).run();
      if (table === 'service_secrets') on.insert(serviceSecrets).values(rows.service_secrets).run();
      if (table === 'launch_codes') on.insert(launchCodes).values(rows.launch_codes).run();
      if (table === 'upstream_auth_states') on.insert(upstreamAuthStates).values(rows.upstream_auth_states).run();
    },
    async seedRedeemedLaunchCode(tx, key) {
      sqliteOf(tx).insert(launchCodes).values({ ...seedRows(key, '').launch_codes, payloadSealed: null, redeemedAt: at }).run();
    },
  })),
);

describeMasterKeyResealStoreContract(
  'PostgreSQL',
  pgHarness((db) => ({
    store: createPgMasterKeyResealStore(db),
    async seed(tx, table, key, sealed) {
      const on = pgOf(tx);
      const rows = seedRows(key, sealed);
      if (table === 'signing_keys') await on.insert(pgSchema.signingKeys).values(rows.signing_keys);
      if (table === 'service_secrets') await on.insert(pgSchema.serviceSecrets).values(rows.service_secrets);
      if (table === 'launch_codes') await on.insert(pgSchema.launchCodes).values(rows.launch_codes);
      if (table === 'upstream_auth_states') await on.insert(pgSchema.upstreamAuthStates).values(rows.upstream_auth_states);
    },
    async seedRedeemedLaunchCode(tx, key) {
      await pgOf(tx).insert(pgSchema.launchCodes).values({ ...seedRows(key, '').launch_codes, payloadSealed: null, redeemedAt: at });
    },
  })),
);
