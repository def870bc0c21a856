import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { findPersona, personaAttributes, PERSONAS } from '../demo/idp/personas.js';
import { buildSignedResponse } from '../demo/idp/response.js';
import type { DemoSetup } from '../demo/routes.js';
import { decideSurvey } from '../launch/survey-policy.js';
import { SamlRefusal } from '../saml/errors.js';
import { createSamlPreview, PREVIEW_SKIPS } from '../saml/preview.js';
import type { SamlLogin } from '../saml/types.js';
import { samlSettings } from '../sso/build-service-provider.js';
import { UsageError, type CliIo } from './io.js';
import { resolveConfig } from './resolve-config.js';

/** The CLI verbs of claim rules; `cli/main.ts` adds them to its table (same shape as its verbs). */
interface ClaimsVerb {
  usage: string;
  options: Record<string, { type: 'string' | 'boolean' }>;
  positionals: number;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }, io: CliIo, clock: Clock): Promise<number>;
}

export const CLAIMS_USAGE = `  claims preview (--response FILE | --persona NAME) [--config FILE]
                                     the claims, survey decisions and released claims of one assertion`;

/** A saved Response: its XML, or the base64 SAMLResponse form value (as a browser's SAML tracer shows either). */
function savedResponse(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return text.startsWith('<') ? Buffer.from(text, 'utf8').toString('base64') : text.replace(/\s+/g, '');
}

/** The demo IdP's signed Response for a persona, as its sign-in page would post it. */
function personaResponse(name: string, demo: DemoSetup | undefined, clock: Clock): string {
  if (!demo) throw new UsageError('--persona works with the demo only (run it without --config or CAMPUS_STS_CONFIG)');
  const persona = findPersona(name);
  if (!persona) throw new UsageError(`no persona "${name}" (the demo has ${PERSONAS.map((p) => p.id).join(', ')})`);
  const xml = buildSignedResponse({
    idp: { entityId: demo.idp.entityId, keyPem: demo.idp.keys.keyPem, certPem: demo.idp.keys.certPem },
    sp: demo.idp.sp,
    inResponseTo: `_preview-${randomBytes(16).toString('hex')}`,
    attributes: personaAttributes(persona),
    now: clock.now(),
  });
  return Buffer.from(xml, 'utf8').toString('base64');
}

const shown = (value: string | string[]): string => (Array.isArray(value) ? `[${value.join(', ')}]` : value);

/** What `claims preview` prints for an accepted assertion. Pure. */
export function previewLines(config: Config, login: SamlLogin): string[] {
  const ruled = new Set(Object.keys(config.idps.find((i) => i.id === login.idpId)?.claim_rules ?? {}));
  const lines = [
    `IdP        ${login.idpId} (${login.idpEntityId})`,
    `assertion  issued ${login.issueInstant.toISOString()}`,
    `subject    ${login.subject} (${login.subjectSource})`,
    '',
    'claims',
    ...Object.keys(login.claims).sort().map((name) => `  ${name} = ${shown(login.claims[name]!)}${ruled.has(name) ? '   (claim rule)' : ''}`),
  ];
  if (login.dropped.length > 0) {
    lines.push('', 'dropped', ...login.dropped.map((d) => `  ${d.attribute}: ${d.reason}${d.detail ? ` (${d.detail})` : ''}`));
  }
  const defaultIdp = config.idps.length === 1 ? config.idps[0]!.id : undefined;
  const surveys = config.surveys.filter((s) => (s.idp ?? defaultIdp) === login.idpId);
  lines.push('', surveys.length === 0 ? 'surveys    none signs in at this IdP' : 'surveys');
  for (const survey of surveys) {
    const decision = decideSurvey(survey, login);
    lines.push(`  ${survey.id}: ${decision.refusal ? `refused (${decision.refusal.reason})` : 'admitted'}`);
    for (const f of decision.failures) lines.push(`    rule failed: ${f.claim} (${f.detail})`);
    if (decision.refusal) continue;
    const released = Object.keys(decision.released).sort();
    lines.push(`    released: sub = ${survey.pairwise_subject ? '(pairwise, derived from the subject)' : login.subject}`);
    for (const name of released) lines.push(`              ${name} = ${shown(decision.released[name]!)}`);
  }
  return lines;
}

export const CLAIMS_VERBS: Record<string, ClaimsVerb> = {
  'claims preview': {
    usage: `campus-sts claims preview (--response FILE | --persona NAME) [--config FILE]
  Judges one assertion as the ACS does and prints every claim (after the attribute map and the IdP's claim rules),
  what was dropped and why, and for each survey of that IdP whether it admits the person and the claims it
  receives. FILE is a saved Response (its XML, or the base64 SAMLResponse value); --persona NAME (demo only) signs
  one for a demo persona. A saved response need not be fresh: the checks skipped are printed first.
  Nothing is written. Exit 0 when the assertion is accepted, 1 when it is refused.`,
    options: { config: { type: 'string' }, response: { type: 'string' }, persona: { type: 'string' } },
    positionals: 0,
    run: async ({ values }, io, clock) => {
      const file = values.response as string | undefined;
      const persona = values.persona as string | undefined;
      if ((file === undefined) === (persona === undefined)) throw new UsageError('give exactly one of --response FILE or --persona NAME');
      const { config, demo } = await resolveConfig(values.config as string | undefined, io);
      if (config.idps.length === 0) throw new UsageError('the configuration has no IdP (idps)');
      const response = file !== undefined ? savedResponse(file) : personaResponse(persona!, demo, clock);
      const settings = await samlSettings(config, config.issuer, { clock });
      io.out('Preview of one assertion: judged as the ACS judges it, except for');
      PREVIEW_SKIPS.forEach((skip) => io.out(`  - ${skip}`));
      io.out('');
      try {
        const login = await createSamlPreview(settings.sp, settings.idps).previewResponse(response);
        previewLines(config, login).forEach((line) => io.out(line));
        return 0;
      } catch (err) {
        if (!(err instanceof SamlRefusal)) throw err;
        io.out(`refused: ${err.reason}${err.detail ? `: ${err.detail}` : ''}`);
        return 1;
      }
    },
  },
};
