import { z } from 'zod';
import { claimRulesSchema, surveyRequireSchema } from './claim-rules.js';
import { audience, claimName, id, origin, scope } from './primitives.js';

/**
 * An SSO-gated survey launch: `GET /launch/{id}` signs the respondent in at the IdP, applies `require`, mints a
 * token for `audience`/`scopes`, and sends the browser to `url` carrying only a one-time code.
 */
export const surveySchema = z.strictObject({
  /** `redeem` is taken: POST /launch/redeem is where codes are redeemed. */
  id: id.refine((v) => v !== 'redeem', '"redeem" is reserved (POST /launch/redeem)'),
  name: z.string().max(200).optional(),
  /** Which IdP signs respondents in; may be omitted when exactly one IdP is configured. */
  idp: id.optional(),
  /** Where the respondent lands (the survey's distribution link); https outside localhost. */
  url: z.url({ protocol: /^https?$/ }),
  /** The query parameter that carries the one-time launch code. */
  code_param: z.string().regex(/^[A-Za-z0-9_]{1,32}$/).default('sts_code'),
  audience,
  scopes: z.array(scope).default([]),
  /** Token lifetime; default and cap: tokens.max_ttl_seconds. */
  ttl_seconds: z.number().int().positive().optional(),
  /** Claims computed for this survey from the IdP's claims (README "Claim rules"); they replace claims of the same name. */
  claim_rules: claimRulesSchema,
  /**
   * Who may launch: every listed claim must have at least one of its listed values (any-of per claim), or a CEL
   * condition over `claims`, `subject` and `idp` (README "Claim rules").
   */
  require: surveyRequireSchema,
  /** Claims released to the survey (in the redeem answer and the token); `sub` is always released. */
  release: z.array(claimName).default([]),
  /** Browser origins allowed to redeem codes over CORS (survey JavaScript). Server-side redeem needs none. */
  origins: z.array(origin).default([]),
  /** `sub` pairwise per audience (HMAC with a key derived from the master key), so vendors cannot join on it. */
  pairwise_subject: z.boolean().default(false),
});
