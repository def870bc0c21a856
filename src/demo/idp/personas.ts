import { ATTR } from '../../saml/constants.js';

/** The security domain of the demo IdP: published as `<shibmd:Scope>`, so scoped values under it are accepted. */
export const DEMO_SCOPE = 'demo.campus-sts.test';

/** A test person the demo IdP can sign in as (no password: the chooser page is the login). */
export interface Persona {
  id: string;
  /** Local part of eduPersonPrincipalName and mail. */
  username: string;
  givenName: string;
  sn: string;
  /** What the chooser shows under the name. */
  role: string;
  /** Unscoped eduPersonAffiliation values. */
  affiliations: readonly string[];
}

/**
 * A student (the demo survey admits them), a member of staff and an alumna (both refused by the demo survey's
 * `require: { affiliation: [student] }`, so the refusal page can be seen too).
 */
export const PERSONAS: readonly Persona[] = [
  { id: 'student', username: 'alex.rivera', givenName: 'Alex', sn: 'Rivera', role: 'Undergraduate student, Physics', affiliations: ['member', 'student'] },
  { id: 'staff', username: 'sam.chen', givenName: 'Sam', sn: 'Chen', role: 'Lecturer, School of Physics', affiliations: ['member', 'staff', 'employee'] },
  { id: 'alumna', username: 'jordan.okafor', givenName: 'Jordan', sn: 'Okafor', role: 'Alumna, class of 2019', affiliations: ['alum'] },
];

export function findPersona(id: string | undefined): Persona | undefined {
  return PERSONAS.find((p) => p.id === id);
}

export const displayNameOf = (p: Persona): string => `${p.givenName} ${p.sn}`;

/** The eduPerson attributes a campus IdP releases, by `urn:oid:` name (NameFormat uri). Multi-valued stay lists. */
export function personaAttributes(p: Persona): Array<{ name: string; values: string[] }> {
  const eppn = `${p.username}@${DEMO_SCOPE}`;
  return [
    { name: ATTR.eduPersonPrincipalName, values: [eppn] },
    { name: ATTR.eduPersonAffiliation, values: [...p.affiliations] },
    { name: ATTR.eduPersonScopedAffiliation, values: p.affiliations.map((a) => `${a}@${DEMO_SCOPE}`) },
    { name: ATTR.mail, values: [eppn] },
    { name: ATTR.displayName, values: [displayNameOf(p)] },
    { name: ATTR.givenName, values: [p.givenName] },
    { name: ATTR.sn, values: [p.sn] },
  ];
}
