import type { UpstreamConfig } from '../../config/upstream.js';
import type { UpstreamProvider } from '../provider.js';
import { createGenericProvider, type ProviderDeps } from './generic-oauth2.js';
import { createQualtricsProvider } from './qualtrics.js';
import { createSurveyMonkeyApplyProvider } from './surveymonkey-apply.js';
import { createSurveyMonkeyProvider } from './surveymonkey.js';

/** The adapter for an upstream's preset: one file per provider, chosen here and nowhere else. */
export function createProvider(cfg: UpstreamConfig, deps: ProviderDeps): UpstreamProvider {
  switch (cfg.provider) {
    case 'generic-oauth2':
      return createGenericProvider(cfg, deps);
    case 'qualtrics':
      return createQualtricsProvider(cfg, deps);
    case 'surveymonkey':
      return createSurveyMonkeyProvider(cfg, deps);
    case 'surveymonkey-apply':
      return createSurveyMonkeyApplyProvider(cfg, deps);
  }
}
