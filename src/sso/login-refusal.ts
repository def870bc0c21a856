import type { AuditEvent } from '../audit/events.js';
import { BrowserRefusal, type RefusalText } from '../http/browser-refusal.js';
import { samlRefusalText, type SamlRefusalReason } from '../saml/errors.js';

type SamlLoginRow = Extract<AuditEvent, { event: 'saml.login' }>;

/**
 * Every refused sign-in at the ACS, whatever refused it (the engine, the form before decoding, a consumed pending
 * login): the page for `reason`, and a `saml.login` row whose reason is the closed code plus the private detail.
 */
export function samlLoginRefusal(
  reason: SamlRefusalReason,
  detail: string | undefined,
  row: Omit<SamlLoginRow, 'event' | 'outcome' | 'reason'>,
  status: 400 | 413 = 400,
  /** What to do next, when the feature that started the sign-in says it better (the console: sign in there again). */
  whatToDo?: string,
): BrowserRefusal {
  const text = samlRefusalText(reason, detail);
  const page = explainSamlRefusal(reason);
  return new BrowserRefusal(status, whatToDo ? { ...page, whatToDo } : page, text, { event: 'saml.login', outcome: 'refused', ...row, reason: text });
}

const RETRY = 'Go back to the survey link you were given and open it again in this browser.';
const HELP = 'Try once more from the survey link. If it happens again, contact the help desk and quote the reference below.';

/** What a respondent is told for each SAML refusal: what happened and what to do, without internals. */
export function explainSamlRefusal(reason: SamlRefusalReason): RefusalText {
  switch (reason) {
    case 'expired':
    case 'not_yet_valid':
    case 'assertion_too_old':
      return { title: 'Your sign-in expired', message: 'The sign-in took too long to reach us, or a clock is off.', whatToDo: RETRY };
    case 'authn_too_old':
      return {
        title: 'Please sign in again',
        message: 'Your campus sign-in is older than this service accepts.',
        whatToDo: 'Sign out of your campus sign-in service (or close every browser window), then open the survey link again.',
      };
    case 'login_expired':
      return {
        title: 'Your sign-in took too long',
        message: 'You started signing in here, but the sign-in was completed after the time this service allows for it.',
        whatToDo: RETRY,
      };
    case 'in_response_to_mismatch':
    case 'unsolicited':
      return {
        title: 'This sign-in was not started here',
        message: 'We received a sign-in that this browser did not ask for (it may have been started in another browser, or long ago).',
        whatToDo: RETRY,
      };
    case 'replayed':
      return { title: 'This sign-in was already used', message: 'Each sign-in can be used once.', whatToDo: RETRY };
    case 'content_type_unsupported':
    case 'saml_response_missing':
    case 'form_malformed':
      return { title: 'We could not read the sign-in', message: 'The sign-in message that reached us was incomplete or malformed.', whatToDo: 'Go back to the survey link and open it again.' };
    case 'too_large':
    case 'malformed_base64':
    case 'not_utf8':
    case 'xml_malformed':
    case 'doctype_forbidden':
      return { title: 'We could not read the sign-in', message: 'The sign-in message that reached us was damaged or malformed.', whatToDo: HELP };
    case 'status_not_success':
      return { title: 'The sign-in did not complete', message: 'Your campus sign-in service reported that it could not sign you in.', whatToDo: HELP };
    case 'subject_missing':
    case 'scope_violation':
      return {
        title: 'We could not tell who you are',
        message: 'Your campus sign-in did not release an identifier this service can use.',
        whatToDo: 'Contact the help desk and quote the reference below; your campus identity team may need to release an attribute.',
      };
    default:
      return { title: 'We could not verify the sign-in', message: 'The sign-in message failed a security check.', whatToDo: HELP };
  }
}
