import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestIdp, aliceAttributes, type AttributeSpec } from '../support/saml/idp-signer.js';
import { testKeyPair } from '../support/saml/keys.js';
import { entityXml } from '../support/saml/metadata-fixtures.js';
import { ISSUER, type TestService } from '../helpers/service.js';
import { startInstances, type Instances } from './pg-instances.js';

const IDP = 'https://idp.univ.edu/idp/shibboleth';

export interface InstancesWithIdp {
  cluster: Instances;
  a: TestService;
  b: TestService;
  /** Answers either instance (they share the issuer and SP keys), on A's clock. */
  idp: TestIdp;
}

/**
 * Instances A and B that trust one in-process SAML IdP (`shib`: its metadata in the shared folder, signed responses,
 * subjects by pairwise-id), and that IdP, releasing `attributes` (alice's by default). `config` is the rest of the
 * instances' config; `allowUnsolicited` lets the IdP answer without an AuthnRequest.
 */
export async function startInstancesWithIdp(opts: {
  config: Record<string, unknown>;
  allowUnsolicited?: boolean;
  attributes?: AttributeSpec[];
  env?: NodeJS.ProcessEnv;
}): Promise<InstancesWithIdp> {
  const key = await testKeyPair('ha-idp');
  const cluster = await startInstances(2, {
    env: opts.env,
    // The IdP's clock and ours: node-saml checks Conditions against the wall clock.
    startAt: new Date(Math.floor(Date.now() / 1000) * 1000),
    overrides: (shared) => {
      const metadata = join(shared, 'idp.xml');
      writeFileSync(metadata, entityXml({ entityId: IDP, signingCertPem: key.certPem, scopes: [{ value: 'univ.edu' }] }));
      const idp = { id: 'shib', metadata: { file: metadata }, signed: 'response', subject: { source: 'pairwise-id' } };
      return {
        saml: { keys_dir: join(shared, 'certs') },
        idps: [opts.allowUnsolicited ? { ...idp, allow_unsolicited: true } : idp],
        ...opts.config,
      };
    },
  });
  const [a, b] = cluster.all as [TestService, TestService];
  const idp = new TestIdp({
    entityId: IDP,
    key,
    sp: { entityId: `${ISSUER}/saml/metadata`, acsUrl: `${ISSUER}/saml/acs`, encryptionCertPem: key.certPem },
    clock: a.clock,
    attributes: opts.attributes ?? aliceAttributes(),
  });
  return { cluster, a, b, idp };
}
