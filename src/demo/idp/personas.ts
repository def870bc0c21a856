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
  /** eduPersonEntitlement values (the admin console's roles come from these). */
  entitlements?: readonly string[];
  /** The student number, released as schacPersonalUniqueCode in its European Student Identifier form. */
  studentNumber?: string;
}

/** The ESI form of a student number, as campus IdPs release it in schacPersonalUniqueCode. */
export const studentCode = (studentNumber: string): string => `urn:schac:personalUniqueCode:int:esi:${DEMO_SCOPE}:${studentNumber}`;

/** The entitlement the demo config maps to the console's `auditor` role. */
export const DEMO_AUDITOR_ENTITLEMENT = `urn:mace:${DEMO_SCOPE}:campus-sts:auditor`;

/**
 * A student (the demo survey admits them), a member of staff and an alumna (both refused by the demo survey's
 * `require: { affiliation: [student] }`, so the refusal page can be seen too), and an auditor from the research
 * ethics office, whose entitlement opens the audit console (`/admin/audit`): audit review is one of the three uses.
 */
export const PERSONAS: readonly Persona[] = [
  { id: 'student', username: 'alex.rivera', givenName: 'Alex', sn: 'Rivera', role: 'Undergraduate student, Physics', affiliations: ['member', 'student'], studentNumber: 's1024' },
  { id: 'staff', username: 'sam.chen', givenName: 'Sam', sn: 'Chen', role: 'Lecturer, School of Physics', affiliations: ['member', 'staff', 'employee'] },
  { id: 'alumna', username: 'jordan.okafor', givenName: 'Jordan', sn: 'Okafor', role: 'Alumna, class of 2019', affiliations: ['alum'], studentNumber: 's0419' },
  {
    id: 'auditor', username: 'taylor.brooks', givenName: 'Taylor', sn: 'Brooks', role: 'Auditor, Research Ethics Office (opens the audit console)',
    affiliations: ['member', 'staff', 'employee'], entitlements: [DEMO_AUDITOR_ENTITLEMENT],
  },
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
    ...(p.entitlements ? [{ name: ATTR.eduPersonEntitlement, values: [...p.entitlements] }] : []),
    ...(p.studentNumber ? [{ name: ATTR.schacPersonalUniqueCode, values: [studentCode(p.studentNumber)] }] : []),
  ];
}
