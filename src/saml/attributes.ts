/**
 * SAML attributes → claims and the subject (saml-security.md §5.3). Attributes are mapped by an
 * allow-list (`attributeMap`, keyed on the SAML `Name`, never FriendlyName) into a prototype-free
 * object, so an attribute named `__proto__` is inert.
 *
 * Scoped attributes (eppn, eduPersonScopedAffiliation, eduPersonUniqueId, subject-id, pairwise-id)
 * must carry a scope published for this IdP in `<shibmd:Scope>`; otherwise IdP A could assert
 * `@univB.edu` identities. Policy: a bad-scope value is DROPPED from the claims (and reported in
 * `dropped` for audit), as the Shibboleth SP does; when the value is the configured subject source the
 * login is REFUSED with `scope_violation`. An IdP with no Scope in its metadata gets no scoped values.
 */
import type { AssertionModel, AttributeModel, NameIdModel } from './assertion-model.js';
import { ATTR, NAMEID_FORMAT } from './constants.js';
import { SamlConfigError, SamlRefusal } from './errors.js';
import type { IdpScope, SubjectSource } from './settings.js';

export type Claims = Record<string, string | string[]>;

export interface DroppedValue {
  /** The SAML attribute Name, or for `rule_failed` the claim its rule computes. */
  attribute: string;
  reason: 'scope_violation' | 'syntax' | 'qualifier_mismatch' | 'complex_value' | 'rule_failed';
  /** Why the rule failed (not audited: `claims preview` prints it). */
  detail?: string;
}

export interface MappedIdentity {
  subject: string;
  claims: Claims;
  dropped: DroppedValue[];
}

/** Defaults for eduPerson / SCHAC / subject-id (claim names are `[A-Za-z0-9_]`, as launch-code redemption needs). */
export const DEFAULT_ATTRIBUTE_MAP: Readonly<Record<string, string>> = Object.freeze({
  [ATTR.eduPersonPrincipalName]: 'eppn',
  [ATTR.eduPersonAffiliation]: 'affiliation',
  [ATTR.eduPersonScopedAffiliation]: 'scopedAffiliation',
  [ATTR.eduPersonPrimaryAffiliation]: 'primaryAffiliation',
  [ATTR.eduPersonEntitlement]: 'entitlement',
  [ATTR.eduPersonTargetedID]: 'targetedId',
  [ATTR.eduPersonAssurance]: 'assurance',
  [ATTR.eduPersonUniqueId]: 'uniqueId',
  [ATTR.eduPersonOrcid]: 'orcid',
  [ATTR.mail]: 'mail',
  [ATTR.displayName]: 'displayName',
  [ATTR.givenName]: 'givenName',
  [ATTR.sn]: 'sn',
  [ATTR.cn]: 'cn',
  [ATTR.uid]: 'uid',
  [ATTR.schacHomeOrganization]: 'schacHomeOrganization',
  [ATTR.schacPersonalUniqueCode]: 'schacPersonalUniqueCode',
  [ATTR.subjectId]: 'subjectId',
  [ATTR.pairwiseId]: 'pairwiseId',
});

/** Attributes whose values are `value@scope` and must be checked against the IdP's scopes. */
export const SCOPED_ATTRIBUTES: ReadonlySet<string> = new Set([
  ATTR.eduPersonPrincipalName, ATTR.eduPersonScopedAffiliation, ATTR.eduPersonUniqueId, ATTR.subjectId, ATTR.pairwiseId,
]);

/** Always arrays in claims (even with one value), so their type does not depend on the user. */
export const MULTI_VALUED_ATTRIBUTES: ReadonlySet<string> = new Set([
  ATTR.eduPersonAffiliation, ATTR.eduPersonScopedAffiliation, ATTR.eduPersonEntitlement, ATTR.eduPersonAssurance,
]);

/** SAML V2.0 Subject Identifier Attributes Profile §3.3 (uniqueID@scope). */
const SUBJECT_ID_SYNTAX = /^[A-Za-z0-9][A-Za-z0-9=-]{0,126}@[A-Za-z0-9][A-Za-z0-9.-]{0,126}$/;
const CLAIM_NAME = /^[A-Za-z0-9_]{1,64}$/;
const FORBIDDEN_CLAIMS = new Set(['__proto__', 'constructor', 'prototype']);

export type AttributeMap = ReadonlyMap<string, string>;

/** Validates an attribute map once, at construction. */
export function compileAttributeMap(map: Readonly<Record<string, string>>, path: string): AttributeMap {
  const out = new Map<string, string>();
  for (const [name, claim] of Object.entries(map)) {
    if (!name) throw new SamlConfigError(path, 'empty SAML attribute name');
    if (typeof claim !== 'string' || !CLAIM_NAME.test(claim) || FORBIDDEN_CLAIMS.has(claim)) {
      throw new SamlConfigError(`${path}.${name}`, `claim name must match ${CLAIM_NAME} and not be a prototype key`);
    }
    out.set(name, claim);
  }
  return out;
}

export type ScopeMatcher = (scope: string) => boolean;

/** Literal scopes compare case-insensitively (DNS names); `regexp` scopes must match the whole scope. */
export function compileScopes(scopes: readonly IdpScope[], path: string): ScopeMatcher {
  const literals = new Set<string>();
  const patterns: RegExp[] = [];
  for (const s of scopes) {
    if (!s.regexp) {
      literals.add(s.value.toLowerCase());
      continue;
    }
    try {
      patterns.push(new RegExp(`^(?:${s.value})$`));
    } catch (err) {
      throw new SamlConfigError(path, `invalid regexp scope ${JSON.stringify(s.value)}`, { cause: err });
    }
  }
  return (scope) => literals.has(scope.toLowerCase()) || patterns.some((p) => p.test(scope));
}

export interface MappingContext {
  idpEntityId: string;
  spEntityId: string;
  scopeAllowed: ScopeMatcher;
  attributeMap: AttributeMap;
  subjectSource: SubjectSource;
}

/** Canonical string of a NameID-valued attribute (eduPersonTargetedID): `idp!sp!value`. */
function nameIdValue(n: NameIdModel, ctx: MappingContext): string | undefined {
  if (n.nameQualifier !== undefined && n.nameQualifier !== ctx.idpEntityId) return undefined;
  if (n.spNameQualifier !== undefined && n.spNameQualifier !== ctx.spEntityId) return undefined;
  return `${ctx.idpEntityId}!${ctx.spEntityId}!${n.value}`;
}

/** Accepted string values of one attribute, recording what was dropped and why. */
function attributeValues(a: AttributeModel, ctx: MappingContext, dropped: DroppedValue[]): string[] {
  const out: string[] = [];
  const isSubjectId = a.name === ATTR.subjectId || a.name === ATTR.pairwiseId;
  for (const v of a.values) {
    let value: string | undefined;
    if (v.kind === 'nil') continue;
    if (v.kind === 'complex') {
      dropped.push({ attribute: a.name, reason: 'complex_value' });
      continue;
    }
    if (v.kind === 'nameid') {
      value = nameIdValue(v.nameId, ctx);
      if (value === undefined) {
        dropped.push({ attribute: a.name, reason: 'qualifier_mismatch' });
        continue;
      }
    } else {
      value = v.text;
    }
    if (value === '') continue;
    if (SCOPED_ATTRIBUTES.has(a.name)) {
      const parts = value.split('@');
      if (parts.length !== 2 || !parts[0] || !parts[1] || (isSubjectId && !SUBJECT_ID_SYNTAX.test(value))) {
        dropped.push({ attribute: a.name, reason: 'syntax' });
        continue;
      }
      if (!ctx.scopeAllowed(parts[1])) {
        dropped.push({ attribute: a.name, reason: 'scope_violation' });
        continue;
      }
    }
    out.push(value);
  }
  // subject-id / pairwise-id are single-valued by definition: several values mean none is trustworthy.
  if (isSubjectId && out.length > 1) {
    dropped.push({ attribute: a.name, reason: 'syntax' });
    return [];
  }
  return out;
}

function subjectFrom(
  a: AssertionModel,
  values: ReadonlyMap<string, string[]>,
  dropped: readonly DroppedValue[],
  ctx: MappingContext,
): string {
  const source = ctx.subjectSource;
  if (source === 'persistent-nameid') {
    const n = a.nameId;
    if (!n || !n.value) throw new SamlRefusal('subject_missing', 'no NameID');
    if (n.format !== NAMEID_FORMAT.persistent) {
      throw new SamlRefusal('subject_missing', `NameID Format ${n.format ?? '(none)'} is not persistent (transient NameIDs are never a subject)`);
    }
    if (n.nameQualifier !== undefined && n.nameQualifier !== ctx.idpEntityId) {
      throw new SamlRefusal('name_qualifier_mismatch', 'persistent NameID NameQualifier is not the IdP');
    }
    // Persistent NameIDs are unique per (IdP, SP) only: qualify them so they are globally unique.
    return `${ctx.idpEntityId}!${ctx.spEntityId}!${n.value}`;
  }
  const name = source === 'pairwise-id' ? ATTR.pairwiseId : source === 'subject-id' ? ATTR.subjectId : ATTR.eduPersonPrincipalName;
  const got = values.get(name) ?? [];
  if (got.length === 1 && got[0]) return got[0].toLowerCase(); // all three compare case-insensitively
  const why = dropped.find((d) => d.attribute === name);
  if (why?.reason === 'scope_violation') throw new SamlRefusal('scope_violation', `${source} scope is not one of the IdP's scopes`);
  if (got.length > 1) throw new SamlRefusal('subject_missing', `${source} has ${got.length} values`);
  throw new SamlRefusal('subject_missing', why ? `${source} value rejected (${why.reason})` : `no ${source} attribute`);
}

/** Maps the (signed) assertion's attributes and subject. Refuses duplicates and a missing/invalid subject. */
export function mapIdentity(a: AssertionModel, ctx: MappingContext): MappedIdentity {
  const seen = new Set<string>();
  for (const attr of a.attributes) {
    if (seen.has(attr.name)) throw new SamlRefusal('attribute_duplicated', `Attribute ${attr.name} appears twice`);
    seen.add(attr.name);
  }
  const dropped: DroppedValue[] = [];
  const values = new Map<string, string[]>();
  for (const attr of a.attributes) values.set(attr.name, attributeValues(attr, ctx, dropped));

  const subject = subjectFrom(a, values, dropped, ctx);

  const claims = Object.create(null) as Claims;
  const collected = new Map<string, { values: string[]; multi: boolean }>();
  for (const [name, vals] of values) {
    const claim = ctx.attributeMap.get(name);
    if (claim === undefined || vals.length === 0) continue;
    const entry = collected.get(claim) ?? { values: [], multi: false };
    for (const v of vals) if (!entry.values.includes(v)) entry.values.push(v);
    entry.multi ||= MULTI_VALUED_ATTRIBUTES.has(name);
    collected.set(claim, entry);
  }
  for (const [claim, { values: vals, multi }] of collected) {
    claims[claim] = vals.length === 1 && !multi ? (vals[0] as string) : vals;
  }
  return { subject, claims, dropped };
}
