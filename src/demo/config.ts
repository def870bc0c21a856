import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashClientSecret } from '../clients/secret-hash.js';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { systemClock } from '../core/clock.js';
import { generateMasterKeyText } from '../core/sealed-box.js';
import { ensureDemoIdpKeys } from './idp/keys.js';
import { buildDemoIdpMetadata } from './idp/metadata.js';
import { DEMO_AUDITOR_ENTITLEMENT, DEMO_SCOPE, studentCode } from './idp/personas.js';
import { DEMO_IDP_PATHS } from './idp/routes.js';
import type { DemoSetup } from './routes.js';
import { DEMO_SURVEY_PATH } from './survey/routes.js';
import { DEMO_RECORD_PATH, demoUpstreamConfig, startDemoUpstream } from './upstream.js';

export const DEMO_CLIENT = { id: 'demo-client', secret: 'demo-secret' } as const;

export const DEMO_AUDIENCES = {
  sis: 'https://sis.demo.campus-sts.test',
  reports: 'https://reports.demo.campus-sts.test',
} as const;

/** `GET /launch/demo-survey` starts the demo's SSO-gated survey launch. */
export const DEMO_SURVEY_ID = 'demo-survey';
const DEMO_IDP_ID = 'demo-idp';
const CODE_PARAM = 'sts_code';

export class DemoRefused extends Error {}

/**
 * The embedded demo: SQLite, a generated master key and the SAML key pairs under `dataDir`; one confidential
 * client with a well-known secret; the built-in demo IdP (its metadata rewritten into `dataDir` at every start,
 * in a file per host and port, since it names them) and one student-only survey whose page is served by the
 * demo itself.
 * It refuses to run in production, where a published secret and a password-less IdP would be holes.
 */
// long: mostly the demo's configuration literal, read top to bottom like the YAML file it stands for.
export async function demoConfig(opts: { dataDir: string; host: string; port: number; env: NodeJS.ProcessEnv }): Promise<{ config: Config; demo: DemoSetup }> {
  if (opts.env.NODE_ENV === 'production') {
    throw new DemoRefused('the demo (no --config) refuses to run with NODE_ENV=production: give a configuration file with --config or CAMPUS_STS_CONFIG');
  }
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const keyFile = join(opts.dataDir, 'master.key');
  if (!existsSync(keyFile)) writeFileSync(keyFile, generateMasterKeyText() + '\n', { mode: 0o600, flag: 'wx' });
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  const issuer = `http://${shownHost}:${opts.port}`;

  // The SP's ACS is always `${issuer}/saml/acs`; its entityID is set here so that the IdP and the SP agree on it.
  const sp = { entityId: `${issuer}/saml/metadata`, acsUrl: `${issuer}/saml/acs` };
  const idpEntityId = `${issuer}${DEMO_IDP_PATHS.metadata}`;
  const ssoUrl = `${issuer}${DEMO_IDP_PATHS.sso}`;
  const keys = await ensureDemoIdpKeys(opts.dataDir, systemClock.now());
  const metadataXml = buildDemoIdpMetadata({ entityId: idpEntityId, ssoUrl, signingCertPem: keys.certPem, scope: DEMO_SCOPE });
  // One file per address: a demo-mode CLI verb (on 8787 unless PORT says otherwise) must not rewrite the
  // metadata that a demo serving on another port reads at its next login.
  const metadataFile = join(opts.dataDir, `demo-idp-metadata-${shownHost}-${opts.port}.xml`.replace(/[^\w.-]/g, '_'));
  writeFileSync(metadataFile, metadataXml);

  // The demo upstream: an in-process OAuth server + student records API, proxied at /upstreams/demo-sis/…
  const sis = await startDemoUpstream({ dataDir: opts.dataDir });

  const config = parseConfig(
    {
      issuer,
      server: { host: opts.host, port: opts.port },
      database: { path: join(opts.dataDir, 'campus-sts.sqlite') },
      master_key: { key_file: keyFile },
      audiences: [
        { id: DEMO_AUDIENCES.sis, name: 'Demo student-information system', scopes: ['student.read', 'enrollment.read', 'grades.read'] },
        { id: DEMO_AUDIENCES.reports, name: 'Demo reporting service', scopes: ['student.read', 'enrollment.read'] },
      ],
      clients: [
        {
          id: DEMO_CLIENT.id,
          name: 'Demo confidential client',
          auth: { method: 'client_secret_basic', secret_hash: await hashClientSecret(DEMO_CLIENT.secret) },
          audiences: [DEMO_AUDIENCES.sis, DEMO_AUDIENCES.reports],
          default_audience: DEMO_AUDIENCES.sis,
          scopes: ['student.read', 'enrollment.read', 'grades.read'],
        },
      ],
      saml: { entity_id: sp.entityId, keys_dir: join(opts.dataDir, 'certs'), display_name: 'campus-sts demo' },
      idps: [
        {
          id: DEMO_IDP_ID,
          name: 'Demo University IdP (demo only)',
          metadata: { file: metadataFile },
          signed: 'both',
          subject: { source: 'eppn' },
          // The student number the records API is keyed on, from the ESI the IdP releases (README "Claim rules").
          claim_rules: { student_id: { from: 'schacPersonalUniqueCode', extract: `^${studentCode('').replace(/\./g, '\\.')}(.+)$`, pick: 'one' } },
        },
      ],
      // The auditor persona's entitlement opens the audit console (the demo's only IdP signs admins in).
      admin: { roles: { auditor: [DEMO_AUDITOR_ENTITLEMENT] } },
      upstreams: [demoUpstreamConfig(sis, { audience: DEMO_AUDIENCES.sis, origin: issuer })],
      surveys: [
        {
          id: DEMO_SURVEY_ID,
          name: 'Course experience survey',
          url: `${issuer}${DEMO_SURVEY_PATH}`,
          code_param: CODE_PARAM,
          audience: DEMO_AUDIENCES.sis,
          scopes: ['student.read'],
          require: { affiliation: ['student'] },
          release: ['displayName', 'affiliation', 'mail', 'student_id'],
          origins: [issuer],
        },
      ],
    },
    'demo',
  );
  return {
    config,
    demo: {
      recordUrl: DEMO_RECORD_PATH,
      idp: { entityId: idpEntityId, ssoUrl, keys, sp, metadataXml },
      survey: { title: 'Course experience survey', issuer, codeParam: CODE_PARAM, launchUrl: `${issuer}/launch/${DEMO_SURVEY_ID}` },
    },
  };
}
