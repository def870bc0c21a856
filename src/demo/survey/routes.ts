import { Hono } from 'hono';
import type { AppEnv } from '../../http/env.js';
import { demoCsp, newNonce } from '../html.js';
import { renderSurveyPage } from './page.js';

export const DEMO_SURVEY_PATH = '/demo/survey';

export interface DemoSurveySettings {
  title: string;
  /** This service's issuer: the page redeems at `${issuer}/launch/redeem`. */
  issuer: string;
  codeParam: string;
  launchUrl: string;
  recordUrl?: string;
}

/** Where the record panel may fetch from: this host, plus the record URL's origin when it is elsewhere. */
function connectSources(issuer: string, recordUrl: string | undefined): string[] {
  const sources = ["'self'"];
  const origin = recordUrl === undefined ? undefined : new URL(recordUrl, issuer).origin;
  if (origin !== undefined && origin !== new URL(issuer).origin) sources.push(origin);
  return sources;
}

/** GET /demo/survey?sts_code=…: the demo survey's first page (it stands in for a Qualtrics survey). */
export function demoSurveyRoutes(s: DemoSurveySettings): Hono<AppEnv> {
  const csp = (nonce: string) => demoCsp({ nonce, formAction: "'none'", connectSrc: connectSources(s.issuer, s.recordUrl) });
  return new Hono<AppEnv>().get(DEMO_SURVEY_PATH, (c) => {
    const nonce = newNonce();
    // The URL carries a one-time code: never cache the page, never leak it in a Referer.
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Content-Security-Policy', csp(nonce));
    return c.html(
      renderSurveyPage({
        title: s.title,
        redeemUrl: `${s.issuer}/launch/redeem`,
        codeParam: s.codeParam,
        launchUrl: s.launchUrl,
        ...(s.recordUrl === undefined ? {} : { recordUrl: s.recordUrl }),
        nonce,
      }),
    );
  });
}
