import { launchCodes } from './schema/launch-codes.js';
import { serviceSecrets } from './schema/service-secrets.js';
import { signingKeys } from './schema/signing-keys.js';
import { upstreamAuthStates } from './schema/upstream-auth-states.js';
import { describeMasterKeyResealStoreContract } from './sealed-columns.contract.js';
import { createMasterKeyResealStore } from './sealed-columns.js';
import { sqliteHarness } from './sqlite-harness.contract.js';
import { sqliteOf } from './tx.js';

const at = new Date('2026-11-23T10:00:00.000Z');

describeMasterKeyResealStoreContract(
  'SQLite',
  sqliteHarness((db) => ({
    store: createMasterKeyResealStore(db),
    async seed(tx, table, key, sealed) {
      const on = sqliteOf(tx);
      const keyId = sealed.split('.')[1]!;
      if (table === 'signing_keys') on.insert(signingKeys).values({ kid: key, alg: 'ES256', publicJwk: '{}', privateJwkSealed: sealed, status: 'retired', createdAt: at }).run();
      if (table === 'service_secrets') on.insert(serviceSecrets).values({ name: key, sealed, createdAt: at }).run();
      if (table === 'launch_codes') on.insert(launchCodes).values({ codeHash: key, surveyId: 's', jti: key, payloadSealed: sealed, createdAt: at, expiresAt: at }).run();
      if (table === 'upstream_auth_states') {
        on.insert(upstreamAuthStates).values({ stateHash: key, upstreamId: 'u', bindingHash: 'b', keyId, codeVerifierSealed: sealed, redirectUri: 'https://sts.example/cb', actor: 'a', createdAt: at, expiresAt: at }).run();
      }
    },
  })),
);
