// Attribute → claim mapping and subject selection, table-driven over assertion models.
import { describe, expect, it } from 'vitest';
import type { AssertionModel, AttributeModel } from './assertion-model.js';
import { DEFAULT_ATTRIBUTE_MAP, compileAttributeMap, compileScopes, mapIdentity, type MappingContext } from './attributes.js';
import { ATTR, NAMEID_FORMAT } from './constants.js';
import { SamlConfigError, SamlRefusal, type SamlRefusalReason } from './errors.js';
import type { SubjectSource } from './settings.js';

const IDP = 'https://idp.univ.edu/idp/shibboleth';
const SP = 'https://sts.univ.edu/saml/metadata';
const text = (...values: string[]): AttributeModel['values'] => values.map((t) => ({ kind: 'text', text: t }));

function assertion(attributes: AttributeModel[], nameId?: AssertionModel['nameId']): AssertionModel {
  return {
    id: '_a', issueInstant: new Date(0), issuer: IDP, subjectConfirmations: [], authnStatements: [], attributes,
    ...(nameId ? { nameId } : {}),
  };
}

function ctx(subjectSource: SubjectSource = 'eppn', map: Record<string, string> = DEFAULT_ATTRIBUTE_MAP): MappingContext {
  return {
    idpEntityId: IDP,
    spEntityId: SP,
    scopeAllowed: compileScopes([{ value: 'univ.edu', regexp: false }, { value: '^([a-z]+\\.)?med\\.univ\\.edu$', regexp: true }], 'test'),
    attributeMap: compileAttributeMap(map, 'test'),
    subjectSource,
  };
}

const eppn = (v: string): AttributeModel => ({ name: ATTR.eduPersonPrincipalName, values: text(v) });

function refusal(fn: () => unknown): SamlRefusalReason | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof SamlRefusal) return err.reason;
    throw err;
  }
}

describe('claims', () => {
  it('maps the default eduPerson/SCHAC/subject-id names, arrays for multi-valued attributes', () => {
    const { claims } = mapIdentity(
      assertion([
        eppn('alice@univ.edu'),
        { name: ATTR.eduPersonAffiliation, values: text('student') },
        { name: ATTR.eduPersonEntitlement, values: text('urn:mace:dir:entitlement:common-lib-terms', 'urn:x') },
        { name: ATTR.mail, values: text('alice@univ.edu') },
        { name: ATTR.displayName, values: text('Alice') },
        { name: ATTR.schacPersonalUniqueCode, values: text('urn:schac:personalUniqueCode:int:esi:univ.edu:12345') },
        { name: ATTR.givenName, values: text('Alice', 'Ally') },
        { name: ATTR.subjectId, values: text('a1@univ.edu') },
        { name: ATTR.pairwiseId, values: text('XYZ@univ.edu') },
      ]),
      ctx(),
    );
    expect(claims).toEqual({
      eppn: 'alice@univ.edu',
      affiliation: ['student'],
      entitlement: ['urn:mace:dir:entitlement:common-lib-terms', 'urn:x'],
      mail: 'alice@univ.edu',
      displayName: 'Alice',
      schacPersonalUniqueCode: 'urn:schac:personalUniqueCode:int:esi:univ.edu:12345',
      givenName: ['Alice', 'Ally'],
      subjectId: 'a1@univ.edu',
      pairwiseId: 'XYZ@univ.edu',
    });
  });

  it('only allow-listed names become claims; prototype keys are inert', () => {
    const { claims } = mapIdentity(
      assertion([
        eppn('alice@univ.edu'),
        { name: '__proto__', values: text('polluted') },
        { name: 'constructor', values: text('x') },
        { name: 'urn:oid:9.9.9', values: text('unmapped') },
      ]),
      ctx(),
    );
    expect(Object.getPrototypeOf(claims)).toBeNull();
    expect(Object.keys(claims)).toEqual(['eppn']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('eduPersonTargetedID (a NameID value) becomes idp!sp!value; foreign qualifiers are dropped', () => {
    const ok = { name: ATTR.eduPersonTargetedID, values: [{ kind: 'nameid', nameId: { value: 'opaque', nameQualifier: IDP, spNameQualifier: SP } }] } as AttributeModel;
    const foreign = { name: ATTR.eduPersonTargetedID, values: [{ kind: 'nameid', nameId: { value: 'opaque', nameQualifier: 'https://x' } }] } as AttributeModel;
    expect(mapIdentity(assertion([eppn('a@univ.edu'), ok]), ctx()).claims.targetedId).toBe(`${IDP}!${SP}!opaque`);
    const r = mapIdentity(assertion([eppn('a@univ.edu'), foreign]), ctx());
    expect(r.claims.targetedId).toBeUndefined();
    expect(r.dropped).toEqual([{ attribute: ATTR.eduPersonTargetedID, reason: 'qualifier_mismatch' }]);
  });

  it('nil, empty and complex values', () => {
    const r = mapIdentity(
      assertion([eppn('a@univ.edu'), { name: ATTR.mail, values: [{ kind: 'nil' }, { kind: 'text', text: '' }, { kind: 'complex' }, { kind: 'text', text: 'a@univ.edu' }] }]),
      ctx(),
    );
    expect(r.claims.mail).toBe('a@univ.edu');
    expect(r.dropped).toEqual([{ attribute: ATTR.mail, reason: 'complex_value' }]);
  });

  it('two SAML names mapped onto one claim are merged without duplicates', () => {
    const map = { ...DEFAULT_ATTRIBUTE_MAP, 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'mail' };
    const r = mapIdentity(
      assertion([eppn('a@univ.edu'), { name: ATTR.mail, values: text('a@univ.edu') }, { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', values: text('a@univ.edu', 'b@univ.edu') }]),
      ctx('eppn', map),
    );
    expect(r.claims.mail).toEqual(['a@univ.edu', 'b@univ.edu']);
  });

  it('duplicate Attribute Name is refused (no silent last-wins)', () => {
    expect(refusal(() => mapIdentity(assertion([eppn('a@univ.edu'), eppn('b@univ.edu')]), ctx()))).toBe('attribute_duplicated');
  });
});

describe('scoped attributes', () => {
  it.each([
    ['literal scope', 'staff@univ.edu', true],
    ['literal scope, other case', 'staff@UNIV.EDU', true],
    ['regexp scope', 'staff@cardio.med.univ.edu', true],
    ['regexp must match the whole scope', 'staff@cardio.med.univ.edu.evil.com', false],
    ['sub-domain of a literal scope', 'staff@cs.univ.edu', false],
    ['foreign scope', 'staff@other.edu', false],
    ['two @', 'staff@x@univ.edu', false],
    ['no scope', 'staff', false],
  ])('%s: %s', (_n, value, kept) => {
    const r = mapIdentity(assertion([eppn('a@univ.edu'), { name: ATTR.eduPersonScopedAffiliation, values: text(value) }]), ctx());
    expect(r.claims.scopedAffiliation).toEqual(kept ? [value] : undefined);
    expect(r.dropped.length).toBe(kept ? 0 : 1);
  });

  it('an IdP without published scopes gets no scoped values', () => {
    const c = { ...ctx(), scopeAllowed: compileScopes([], 't') };
    expect(refusal(() => mapIdentity(assertion([eppn('a@univ.edu')]), c))).toBe('scope_violation');
  });

  it('invalid regexp scopes fail at construction', () => {
    expect(() => compileScopes([{ value: '(', regexp: true }], 'idps[0].metadata.scopes')).toThrow(SamlConfigError);
  });
});

describe('subject', () => {
  const all = [
    eppn('Alice@univ.edu'),
    { name: ATTR.subjectId, values: text('A1234@univ.edu') },
    { name: ATTR.pairwiseId, values: text('HK3P5Q2ZLZ@univ.edu') },
  ];
  const persistent = { value: 'opaque', format: NAMEID_FORMAT.persistent, nameQualifier: IDP, spNameQualifier: SP };

  it.each<[SubjectSource, AttributeModel[], AssertionModel['nameId'] | undefined, string | SamlRefusalReason]>([
    ['eppn', all, undefined, 'alice@univ.edu'],
    ['subject-id', all, undefined, 'a1234@univ.edu'],
    ['pairwise-id', all, undefined, 'hk3p5q2zlz@univ.edu'],
    ['persistent-nameid', all, persistent, `${IDP}!${SP}!opaque`],
    ['persistent-nameid', all, { value: '_t', format: NAMEID_FORMAT.transient }, 'subject_missing'],
    ['persistent-nameid', all, { value: 'x', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' }, 'subject_missing'],
    ['persistent-nameid', all, { ...persistent, nameQualifier: 'https://other' }, 'name_qualifier_mismatch'],
    ['persistent-nameid', all, undefined, 'subject_missing'],
    ['pairwise-id', [eppn('a@univ.edu')], undefined, 'subject_missing'],
    ['pairwise-id', [{ name: ATTR.pairwiseId, values: text('X@other.edu') }], undefined, 'scope_violation'],
    ['pairwise-id', [{ name: ATTR.pairwiseId, values: text('X@univ.edu', 'Y@univ.edu') }], undefined, 'subject_missing'],
    ['subject-id', [{ name: ATTR.subjectId, values: text('-bad@univ.edu') }], undefined, 'subject_missing'],
    ['subject-id', [{ name: ATTR.subjectId, values: text('a b@univ.edu') }], undefined, 'subject_missing'],
    ['eppn', [eppn('alice@other.edu')], undefined, 'scope_violation'],
    ['eppn', [{ name: ATTR.eduPersonPrincipalName, values: text('a@univ.edu', 'b@univ.edu') }], undefined, 'subject_missing'],
  ])('%s → %s', (source, attributes, nameId, want) => {
    const run = () => mapIdentity(assertion(attributes, nameId), ctx(source)).subject;
    const reason = refusal(run);
    expect(reason ?? run()).toBe(want);
  });
});

describe('compileAttributeMap', () => {
  it.each([['__proto__'], ['constructor'], ['has-dash'], [''], ['x'.repeat(65)]])('refuses claim name %j', (claim) => {
    expect(() => compileAttributeMap({ [ATTR.mail]: claim }, 'idps[0].attributeMap')).toThrow(SamlConfigError);
  });
});
