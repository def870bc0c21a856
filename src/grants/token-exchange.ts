import { quote } from '../core/bounded.js';
import { GRANT_TYPES, TOKEN_TYPES } from '../core/constants.js';
import { InvalidRequest } from '../core/oauth-errors.js';
import { decideAndMint, type MintingDeps } from './issue.js';
import type { GrantHandler, GrantResult } from './types.js';
import type { FormParams } from '../core/form-params.js';
import { decideActor } from './policy.js';
import type { Subject, SubjectTokenRegistry } from './subject-tokens.js';
import type { Client } from '../clients/registry.js';
import { requestedAudiences } from './targets.js';
import { requestedScopes } from './types.js';

/**
 * Port: token release by the upstream feature (RFC 8693 with `audience`/`resource` naming an upstream), handed
 * in by compose/; absent when no client may receive upstream tokens.
 */
export interface UpstreamRelease {
  /** The upstream this request asks to have released, or undefined when the normal policy applies. */
  target(client: Client, targets: readonly string[]): string | undefined;
  release(p: {
    upstream: string;
    subject: { sub: string; reference: string };
    requestedType: string | undefined;
    scopes: readonly string[] | undefined;
    hasActor: boolean;
    subjectTokenType: string;
  }): Promise<GrantResult>;
}

/** Token types we can issue (RFC 8693 §2.1 `requested_token_type`): both are our JWT access token. */
const ISSUABLE = new Set<string>([TOKEN_TYPES.accessToken, TOKEN_TYPES.jwt]);

/**
 * RFC 8693 token exchange: validate the subject (and actor) token with the handler registered for its type,
 * decide audience/scope/lifetime by policy, carry released claims over, and mint.
 */
export function createTokenExchangeGrant(deps: MintingDeps & { subjectTokens: SubjectTokenRegistry; upstreamRelease?: UpstreamRelease | undefined }): GrantHandler {
  async function validate(form: FormParams, which: 'subject' | 'actor', client: Client): Promise<Subject | undefined> {
    const token = form.single(`${which}_token`);
    const type = form.single(`${which}_token_type`);
    if (which === 'actor' && token === undefined) {
      // RFC 8693 §2.1: actor_token_type "MUST NOT be included otherwise".
      if (type !== undefined) throw new InvalidRequest('actor_token_type given without actor_token');
      return undefined;
    }
    if (token === undefined) throw new InvalidRequest(`${which}_token is required`);
    if (type === undefined) throw new InvalidRequest(`${which}_token_type is required`);
    const handler = deps.subjectTokens.get(type);
    // RFC 8693 §2.2.2: an unacceptable subject or actor token type is invalid_request (unsupported_token_type is RFC 7009's).
    if (!handler) throw new InvalidRequest(`${which}_token_type is not supported`, `unsupported ${which}_token_type ${quote(type)}`);
    return handler.validate(token, { client });
  }

  return {
    grantType: GRANT_TYPES.tokenExchange,
    async handle(form, client) {
      const requestedType = form.single('requested_token_type');
      // An upstream named as the target, for a client allowed to receive it: its own token is released, nothing minted.
      const upstream = deps.upstreamRelease?.target(client, requestedAudiences(form));
      if (upstream) {
        const subject = (await validate(form, 'subject', client))!;
        return deps.upstreamRelease!.release({
          upstream,
          subject,
          requestedType,
          scopes: requestedScopes(form),
          hasActor: form.single('actor_token') !== undefined,
          subjectTokenType: form.single('subject_token_type')!,
        });
      }
      if (requestedType !== undefined && !ISSUABLE.has(requestedType)) {
        throw new InvalidRequest('requested_token_type is not supported', `requested_token_type ${quote(requestedType)}`);
      }
      const subject = (await validate(form, 'subject', client))!;
      const actor = await validate(form, 'actor', client);
      return decideAndMint(
        deps,
        form,
        client,
        {
          ...subject,
          defaultAudiences: subject.audiences,
          act: decideActor(subject, actor && { sub: actor.sub, iss: actor.issuer }),
          // The restriction stays with the subject until an allowed actor uses it.
          mayAct: actor ? undefined : subject.mayAct,
        },
        {
          issuedTokenType: requestedType ?? TOKEN_TYPES.accessToken,
          audit: { subjectTokenType: form.single('subject_token_type')!, subjectToken: subject.reference, ...(actor ? { actor: actor.sub } : {}) },
        },
      );
    },
  };
}
