import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eduPersonUser, startSimpleSamlIdp, type SimpleSamlIdp, type SpRegistration } from '../support/simplesamlphp/idp.js';
import { AUD, ISSUER, startTestService, type TestService } from './service.js';

export const SP_ENTITY_ID = `${ISSUER}/saml/metadata`;
export const ACS_URL = `${ISSUER}/saml/acs`;
export const SURVEY_URL = 'https://survey.example.edu/jfe/form/SV_eval';
export const SURVEY_ORIGIN = 'https://survey.example.edu';

/** Test people at the real IdP: a student, a member of staff, and one without eppn (no usable subject). */
export const PEOPLE = {
  student: eduPersonUser({ username: 'alice', password: 'alice-pw', affiliations: ['member', 'student'], displayName: 'Alice Example', mail: 'alice@example.edu', extra: { 'urn:oid:1.3.6.1.4.1.25178.1.2.14': ['urn:schac:personalUniqueCode:int:esi:example.edu:S12345'] } }),
  staff: eduPersonUser({ username: 'bob', password: 'bob-pw', affiliations: ['member', 'staff'], displayName: 'Bob Staff' }),
};

/** A service configured with the SimpleSAMLphp IdP and one student-only survey. */
export function samlOverrides(idp: SimpleSamlIdp, extra: { signed?: 'response' | 'assertion' | 'both'; survey?: Record<string, unknown> } = {}) {
  return (dir: string) => {
    const metadata = join(dir, 'idp-metadata.xml');
    writeFileSync(metadata, idp.metadataXml);
    return {
      saml: { keys_dir: join(dir, 'certs') },
      idps: [{ id: 'campus', metadata: { file: metadata }, signed: extra.signed ?? 'both', allow_cbc_encryption: (extra.signed ?? 'both') !== 'assertion', subject: { source: 'eppn' } }],
      surveys: [
        {
          id: 'course-eval',
          url: SURVEY_URL,
          audience: AUD.sis,
          scopes: ['student.read'],
          require: { affiliation: ['student'] },
          release: ['displayName', 'affiliation', 'mail'],
          origins: [SURVEY_ORIGIN],
          ...extra.survey,
        },
      ],
    };
  };
}

export async function startIdp(): Promise<SimpleSamlIdp> {
  return startSimpleSamlIdp({ sps: [], users: Object.values(PEOPLE) });
}

/** Registers the running service's SP (with its generated encryption certificate) at the IdP. */
export async function registerSp(idp: SimpleSamlIdp, s: TestService, reg: Partial<SpRegistration> = {}): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const certDir = join(s.dir, 'certs');
  const encryptionCertPem = readFileSync(join(certDir, (await import('../../src/saml/sp-keys.js')).SP_KEY_FILES.encryptionCert), 'utf8');
  await idp.reconfigure([{ entityId: SP_ENTITY_ID, acsUrl: ACS_URL, encryptionCertPem, nameIdFormat: 'persistent', ...reg }]);
}

/** Follows a browser request through the app, carrying cookies like a browser would (one jar per test). */
export class AppBrowser {
  private cookies = new Map<string, string>();
  constructor(private readonly s: TestService) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await this.s.app.request(path, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return res;
  }

  postForm(path: string, form: Record<string, string>): Promise<Response> {
    return this.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }
}
