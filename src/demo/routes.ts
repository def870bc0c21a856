import type { Hono } from 'hono';
import type { Clock } from '../core/clock.js';
import type { AppEnv } from '../http/env.js';
import { demoIdpRoutes, type DemoIdpSettings } from './idp/routes.js';
import { demoSurveyRoutes, type DemoSurveySettings } from './survey/routes.js';

/** Everything the demo adds to the service besides its config: its IdP and its survey page. */
export interface DemoSetup {
  idp: DemoIdpSettings;
  survey: Omit<DemoSurveySettings, 'recordUrl'>;
  /**
   * Optional: the URL (absolute, or a path on this host) of the student's record behind campus-sts's upstream
   * proxy. When set, the demo survey page shows "Your record from the student-information system", fetched with
   * the redeemed token as a bearer token; when undefined that panel is not rendered.
   */
  recordUrl?: string;
}

/** The demo's routers, mounted by `serve` through `ServiceOptions.extraRoutes` in demo mode only. */
export function demoRoutes(demo: DemoSetup, deps: { clock: Clock }): Hono<AppEnv>[] {
  return [demoIdpRoutes(demo.idp, deps), demoSurveyRoutes({ ...demo.survey, ...(demo.recordUrl === undefined ? {} : { recordUrl: demo.recordUrl }) })];
}
