// What the load generator and the server children agree on: the client, audiences, scopes and the SAML
// names. Every scenario that issues tokens uses the same client and the same form, so the work per request
// differs only by what each server does with it.

export const ISSUER = 'http://127.0.0.1:8787';
export const CLIENT = { id: 'bench-client', secret: 'bench-secret-4f9c2a7e' } as const;
export const AUD = { sis: 'https://sis.example.edu', reports: 'https://reports.example.edu' } as const;
export const SCOPES = { sis: ['student.read', 'enrollment.read', 'grades.read'], reports: ['student.read', 'enrollment.read'] } as const;

export const GRANT = {
  clientCredentials: 'client_credentials',
  tokenExchange: 'urn:ietf:params:oauth:grant-type:token-exchange',
} as const;
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export const SAML = {
  idpEntityId: 'https://idp.univ.edu/idp/shibboleth',
  spEntityId: `${ISSUER}/saml/metadata`,
  acsUrl: `${ISSUER}/saml/acs`,
  idpId: 'shib',
  survey: 'course-eval',
  surveyUrl: 'https://survey.example.edu/jfe/form/SV_eval',
  scope: 'univ.edu',
} as const;

/** The upstream API of the proxy scenario, and how campus-sts knows it. */
export const UPSTREAM = {
  id: 'courses',
  audience: 'https://courses.example.edu',
  scope: 'courses.read',
  clientId: 'campus-sts',
  clientSecret: 'upstream-secret-5d1e',
} as const;

/** RFC 6749 §2.3.1 HTTP Basic: id and secret are form-urlencoded before base64. */
export function basicAuth(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64');
}

/** The RFC 8693 request body every exchange-like scenario sends (floor included). */
export function exchangeForm(subjectToken: string): string {
  return new URLSearchParams({
    grant_type: GRANT.tokenExchange,
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    audience: AUD.reports,
    scope: 'enrollment.read',
  }).toString();
}
