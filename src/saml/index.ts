/**
 * SAML 2.0 service provider engine: IdP SAML Responses (HTTP-POST at the ACS) and bare bearer assertions
 * (RFC 7522 / RFC 8693 saml2 subject tokens) in, validated `SamlLogin`s out. See `service-provider.ts`.
 */
export { createSamlServiceProvider } from './service-provider.js';
export type { AssertionReplayStore, ExpectedRequest, LoginRequest, SamlEngineDeps, SamlLogin, SamlServiceProvider } from './types.js';
export {
  SAML_METADATA_ERROR_CODES, SAML_REFUSAL_REASONS, SamlConfigError, SamlMetadataError, SamlRefusal, isSamlRefusal,
  type SamlMetadataErrorCode, type SamlRefusalReason,
} from './errors.js';
export {
  DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_MAX_RESPONSE_BYTES, SUBJECT_SOURCES,
  type IdpScope, type IdpSettings, type ParsedIdpMetadata, type SignedPart, type SpKeys, type SpMetadataOptions,
  type SpSettings, type SubjectSource,
} from './settings.js';
export { DEFAULT_ATTRIBUTE_MAP, type Claims, type DroppedValue } from './attributes.js';
export { ATTR } from './constants.js';
export { parseIdpMetadata, verifyMetadataAggregate, type ParseMetadataOptions } from './metadata.js';
export { createMetadataLoader, type MetadataLoader, type MetadataSource } from './metadata-loader.js';
export { ensureSpKeys, type EnsureSpKeysResult } from './sp-keys.js';
