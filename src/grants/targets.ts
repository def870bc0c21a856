import { checkResourceIndicator } from './policy.js';
import type { FormParams } from '../core/form-params.js';

/** The requested targets: every `audience` (RFC 8693 §2.1) and every `resource` (RFC 8707 §2), both repeatable. */
export function requestedAudiences(form: FormParams): string[] {
  const resources = form.all('resource');
  resources.forEach(checkResourceIndicator);
  return [...form.all('audience'), ...resources];
}
