// Test users for the SimpleSAMLphp IdP. Attribute names are the urn:oid: names a campus
// IdP releases (NameFormat uri); SimpleSAMLphp sends them without a FriendlyName.

export interface IdpUser {
  /** Must not contain ':' (exampleauth:UserPass keys are "<username>:<password>"). */
  username: string;
  password: string;
  /** Attribute name (normally urn:oid:...) → values; multi-valued attributes stay multi-valued. */
  attributes: Record<string, string[]>;
}

export const OID = {
  eduPersonPrincipalName: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6',
  eduPersonScopedAffiliation: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.9',
  eduPersonAffiliation: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.1',
  eduPersonEntitlement: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.7',
  mail: 'urn:oid:0.9.2342.19200300.100.1.3',
  displayName: 'urn:oid:2.16.840.1.113730.3.1.241',
  /** SCHAC: a student number as the European Student Identifier (urn:schac:personalUniqueCode:int:esi:…). */
  schacPersonalUniqueCode: 'urn:oid:1.3.6.1.4.1.25178.1.2.14',
} as const;

export interface EduPersonUserInput {
  username: string;
  password: string;
  /** Security domain for scoped values; default "example.edu". */
  scope?: string;
  /** Unscoped affiliations; default ["member", "student"]. */
  affiliations?: string[];
  displayName?: string;
  mail?: string;
  entitlements?: string[];
  /** schacPersonalUniqueCode values (a student's ESI, `urn:schac:personalUniqueCode:int:esi:<scope>:<number>`). */
  personalUniqueCodes?: string[];
  /** Added last, so a test can also override or add any attribute (e.g. a student id). */
  extra?: Record<string, string[]>;
}

/** A user with the usual eduPerson attributes; ePPN is "<username>@<scope>". */
export function eduPersonUser(input: EduPersonUserInput): IdpUser {
  const scope = input.scope ?? 'example.edu';
  const affiliations = input.affiliations ?? ['member', 'student'];
  const attributes: Record<string, string[]> = {
    [OID.eduPersonPrincipalName]: [`${input.username}@${scope}`],
    [OID.eduPersonAffiliation]: affiliations,
    [OID.eduPersonScopedAffiliation]: affiliations.map((a) => `${a}@${scope}`),
    [OID.mail]: [input.mail ?? `${input.username}@${scope}`],
    [OID.displayName]: [input.displayName ?? input.username],
  };
  if (input.entitlements?.length) attributes[OID.eduPersonEntitlement] = input.entitlements;
  if (input.personalUniqueCodes?.length) attributes[OID.schacPersonalUniqueCode] = input.personalUniqueCodes;
  return { username: input.username, password: input.password, attributes: { ...attributes, ...input.extra } };
}
