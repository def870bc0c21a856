/**
 * Reads a `saml:Assertion` element (always one parsed from SIGNED bytes) into a plain typed model.
 * Schema-level problems (missing ID, two Subjects, two Conditions …) refuse as `xml_malformed`;
 * time values are parsed strictly (`time.ts`). No policy decisions here: see `checks.ts`.
 */
import { NS, SAML_VERSION } from './constants.js';
import { SamlRefusal } from './errors.js';
import { optionalInstant, parseSamlInstant } from './time.js';
import { attr, childElements, isNamed, optionalChild, requiredChild, textOf } from './xml.js';

export interface NameIdModel {
  value: string;
  format?: string;
  nameQualifier?: string;
  spNameQualifier?: string;
}

export interface SubjectConfirmationModel {
  method: string;
  recipient?: string;
  notBefore?: Date;
  notOnOrAfter?: Date;
  inResponseTo?: string;
  hasData: boolean;
}

export type AttributeValueModel =
  | { kind: 'text'; text: string }
  | { kind: 'nameid'; nameId: NameIdModel }
  | { kind: 'nil' }
  | { kind: 'complex' };

export interface AttributeModel {
  name: string;
  nameFormat?: string;
  friendlyName?: string;
  values: AttributeValueModel[];
}

export interface AuthnStatementModel {
  authnInstant: Date;
  sessionIndex?: string;
  sessionNotOnOrAfter?: Date;
  classRef?: string;
}

export interface ConditionsModel {
  notBefore?: Date;
  notOnOrAfter?: Date;
  /** One inner array per AudienceRestriction (each must contain us: they are ANDed). */
  audienceRestrictions: string[][];
}

export interface AssertionModel {
  id: string;
  issueInstant: Date;
  issuer: string;
  issuerFormat?: string;
  nameId?: NameIdModel;
  subjectConfirmations: SubjectConfirmationModel[];
  conditions?: ConditionsModel;
  authnStatements: AuthnStatementModel[];
  attributes: AttributeModel[];
}

export function readNameId(el: Element): NameIdModel {
  const model: NameIdModel = { value: textOf(el) };
  const format = attr(el, 'Format');
  const nq = attr(el, 'NameQualifier');
  const spnq = attr(el, 'SPNameQualifier');
  if (format) model.format = format;
  if (nq) model.nameQualifier = nq;
  if (spnq) model.spNameQualifier = spnq;
  return model;
}

function readSubjectConfirmation(el: Element): SubjectConfirmationModel {
  const method = attr(el, 'Method') ?? '';
  const data = optionalChild(el, NS.saml, 'SubjectConfirmationData');
  const sc: SubjectConfirmationModel = { method, hasData: data !== undefined };
  if (data) {
    const recipient = attr(data, 'Recipient');
    const inResponseTo = attr(data, 'InResponseTo');
    if (recipient !== undefined) sc.recipient = recipient;
    if (inResponseTo !== undefined) sc.inResponseTo = inResponseTo;
    const nb = optionalInstant(attr(data, 'NotBefore'), 'SubjectConfirmationData/@NotBefore');
    const noa = optionalInstant(attr(data, 'NotOnOrAfter'), 'SubjectConfirmationData/@NotOnOrAfter');
    if (nb) sc.notBefore = nb;
    if (noa) sc.notOnOrAfter = noa;
  }
  return sc;
}

function readConditions(el: Element): ConditionsModel {
  const c: ConditionsModel = {
    audienceRestrictions: childElements(el, NS.saml, 'AudienceRestriction').map((ar) =>
      childElements(ar, NS.saml, 'Audience').map(textOf),
    ),
  };
  const nb = optionalInstant(attr(el, 'NotBefore'), 'Conditions/@NotBefore');
  const noa = optionalInstant(attr(el, 'NotOnOrAfter'), 'Conditions/@NotOnOrAfter');
  if (nb) c.notBefore = nb;
  if (noa) c.notOnOrAfter = noa;
  return c;
}

function readAuthnStatement(el: Element): AuthnStatementModel {
  const instant = attr(el, 'AuthnInstant');
  if (instant === undefined) throw new SamlRefusal('xml_malformed', 'AuthnStatement without AuthnInstant');
  const st: AuthnStatementModel = { authnInstant: parseSamlInstant(instant, 'AuthnStatement/@AuthnInstant') };
  const sessionIndex = attr(el, 'SessionIndex');
  if (sessionIndex) st.sessionIndex = sessionIndex;
  const snoa = optionalInstant(attr(el, 'SessionNotOnOrAfter'), 'AuthnStatement/@SessionNotOnOrAfter');
  if (snoa) st.sessionNotOnOrAfter = snoa;
  const ctx = optionalChild(el, NS.saml, 'AuthnContext');
  const ref = ctx ? optionalChild(ctx, NS.saml, 'AuthnContextClassRef') : undefined;
  if (ref) st.classRef = textOf(ref);
  return st;
}

function readAttributeValue(el: Element): AttributeValueModel {
  if (attr(el, 'xsi:nil') === 'true' || el.getAttributeNS(NS.xsi, 'nil') === 'true') return { kind: 'nil' };
  const children = childElements(el);
  if (children.length === 0) return { kind: 'text', text: textOf(el) };
  const [only] = children;
  // eduPersonTargetedID carries a <saml:NameID> element as its value.
  if (children.length === 1 && only && isNamed(only, NS.saml, 'NameID')) return { kind: 'nameid', nameId: readNameId(only) };
  return { kind: 'complex' };
}

function readAttribute(el: Element): AttributeModel {
  const name = attr(el, 'Name');
  if (!name) throw new SamlRefusal('xml_malformed', 'Attribute without Name');
  const a: AttributeModel = { name, values: childElements(el, NS.saml, 'AttributeValue').map(readAttributeValue) };
  const nameFormat = attr(el, 'NameFormat');
  const friendlyName = attr(el, 'FriendlyName');
  if (nameFormat) a.nameFormat = nameFormat;
  if (friendlyName) a.friendlyName = friendlyName;
  return a;
}

/** Reads the assertion; `el` must be a saml:Assertion parsed from signed bytes. */
export function readAssertion(el: Element): AssertionModel {
  if (!isNamed(el, NS.saml, 'Assertion')) throw new SamlRefusal('xml_malformed', `expected saml:Assertion, got ${el.localName}`);
  if (attr(el, 'Version') !== SAML_VERSION) throw new SamlRefusal('xml_malformed', 'Assertion Version is not 2.0');
  const id = attr(el, 'ID');
  if (!id) throw new SamlRefusal('xml_malformed', 'Assertion without ID');
  const instant = attr(el, 'IssueInstant');
  if (instant === undefined) throw new SamlRefusal('xml_malformed', 'Assertion without IssueInstant');
  const issuerEl = requiredChild(el, NS.saml, 'Issuer');

  const model: AssertionModel = {
    id,
    issueInstant: parseSamlInstant(instant, 'Assertion/@IssueInstant'),
    issuer: textOf(issuerEl),
    subjectConfirmations: [],
    authnStatements: childElements(el, NS.saml, 'AuthnStatement').map(readAuthnStatement),
    attributes: childElements(el, NS.saml, 'AttributeStatement').flatMap((st) =>
      childElements(st, NS.saml, 'Attribute').map(readAttribute),
    ),
  };
  const issuerFormat = attr(issuerEl, 'Format');
  if (issuerFormat) model.issuerFormat = issuerFormat;

  const subject = optionalChild(el, NS.saml, 'Subject');
  if (subject) {
    const nameId = optionalChild(subject, NS.saml, 'NameID');
    if (nameId) model.nameId = readNameId(nameId);
    model.subjectConfirmations = childElements(subject, NS.saml, 'SubjectConfirmation').map(readSubjectConfirmation);
  }
  const conditions = optionalChild(el, NS.saml, 'Conditions');
  if (conditions) model.conditions = readConditions(conditions);
  return model;
}
