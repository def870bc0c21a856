import { readFileSync } from 'node:fs';
import { COMPILED } from '../config/claim-rules.js';
import type { Config } from '../config/schema.js';
import type { IdpConfig } from '../config/saml.js';
import type { Clock } from '../core/clock.js';
import { DEFAULT_ATTRIBUTE_MAP } from '../saml/attributes.js';
import { createMetadataLoader, type MetadataSource } from '../saml/metadata-loader.js';
import { createSamlServiceProvider } from '../saml/service-provider.js';
import type { IdpSettings, SpSettings, SubjectSource } from '../saml/settings.js';
import { ensureSpKeys } from '../saml/sp-keys.js';
import type { AssertionReplayStore, SamlServiceProvider } from '../saml/types.js';

export interface BuiltServiceProvider {
  sp: SamlServiceProvider;
  entityId: string;
  acsUrl: string;
  /** The IdP used when a survey or login names none (only when exactly one is configured). */
  defaultIdp: string | undefined;
  /** When each IdP's metadata was loaded and until when it is valid (readiness: "IdP metadata fresh"). */
  metadata: IdpMetadataStatus[];
}

export interface IdpMetadataStatus {
  idpId: string;
  loadedAt: Date;
  /** The metadata's `validUntil`, when it has one. */
  validUntil: Date | undefined;
}

/** Metadata is fresh while every IdP's `validUntil` (where given) lies ahead of `now`. Pure. */
export function staleMetadata(status: readonly IdpMetadataStatus[], now: Date): string[] {
  return status.filter((s) => s.validUntil !== undefined && s.validUntil <= now).map((s) => s.idpId);
}

function metadataSource(m: IdpConfig['metadata']): MetadataSource {
  if ('aggregate' in m) {
    const where = 'file' in m.aggregate ? { file: m.aggregate.file } : { url: m.aggregate.url, timeoutMs: m.aggregate.timeout_ms };
    return { aggregate: where, pinnedCertPem: readFileSync(m.pinned_cert_file, 'utf8'), entityId: m.entity_id };
  }
  const entity = m.entity_id ? { entityId: m.entity_id } : {};
  return 'file' in m ? { file: m.file, ...entity } : { url: m.url, timeoutMs: m.timeout_ms, ...entity };
}

/** What the SAML engine is built from: SP key pairs (generated under `saml.keys_dir` on first start) and every IdP's metadata. */
export async function samlSettings(
  config: Config,
  issuer: string,
  deps: { clock: Clock; fetch?: typeof fetch },
): Promise<{ sp: SpSettings; idps: IdpSettings[]; metadata: IdpMetadataStatus[] }> {
  const keys = await ensureSpKeys(config.saml.keys_dir, { clock: deps.clock });
  const loader = createMetadataLoader({ clock: deps.clock, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  const idps: IdpSettings[] = [];
  const metadataStatus: IdpMetadataStatus[] = [];
  for (const idp of config.idps) {
    const metadata = await loader.load(metadataSource(idp.metadata));
    metadataStatus.push({ idpId: idp.id, loadedAt: deps.clock.now(), validUntil: metadata.validUntil });
    idps.push({
      id: idp.id,
      metadata,
      signed: idp.signed,
      allowUnsolicited: idp.allow_unsolicited,
      allowCbcEncryption: idp.allow_cbc_encryption,
      clockSkewSeconds: idp.clock_skew_seconds,
      maxAssertionAgeSeconds: idp.max_assertion_age_seconds,
      maxAuthnAgeSeconds: idp.max_authn_age_seconds,
      attributeMap: { ...DEFAULT_ATTRIBUTE_MAP, ...idp.attribute_map },
      claimRules: idp[COMPILED].claimRules,
      subjectSource: idp.subject.source as SubjectSource,
      scopes: idp.scopes,
    });
  }
  const sp: SpSettings = {
    entityId: config.saml.entity_id ?? `${issuer}/saml/metadata`,
    acsUrl: `${issuer}/saml/acs`,
    keys,
    maxResponseBytes: config.saml.max_response_bytes,
    metadata: {
      ...(config.saml.display_name ? { displayName: config.saml.display_name } : {}),
      ...(config.saml.organization
        ? { organization: { name: config.saml.organization.name, displayName: config.saml.organization.display_name, url: config.saml.organization.url } }
        : {}),
      contacts: config.saml.contacts.map((c) => ({ type: c.type, givenName: c.given_name, email: c.email })),
    },
  };
  return { sp, idps, metadata: metadataStatus };
}

/** Builds the SAML SP once at start, with one engine per IdP. Undefined when no IdP is configured. */
export async function buildServiceProvider(
  config: Config,
  issuer: string,
  deps: { clock: Clock; replay: AssertionReplayStore; fetch?: typeof fetch },
): Promise<BuiltServiceProvider | undefined> {
  if (config.idps.length === 0) return undefined;
  const settings = await samlSettings(config, issuer, deps);
  const sp = createSamlServiceProvider(settings.sp, settings.idps, deps);
  return {
    sp,
    entityId: settings.sp.entityId,
    acsUrl: settings.sp.acsUrl,
    defaultIdp: config.idps.length === 1 ? config.idps[0]!.id : undefined,
    metadata: settings.metadata,
  };
}
