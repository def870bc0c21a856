export * from './audit-log.js';
export * from './launch-codes.js';
export * from './revoked-tokens.js';
export * from './saml-assertions.js';
export * from './saml-requests.js';
export * from './service-secrets.js';
export * from './signing-keys.js';
export * from './used-client-assertions.js';
