/**
 * The slice of `oidc-provider` (v9, plain JavaScript, no bundled types) that the test harness and the benchmark
 * use. Deliberately narrow: what is not declared here is not used.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface OidcToken {
    readonly jti: string;
    readonly clientId?: string;
    readonly accountId?: string;
    readonly grantId?: string;
    readonly scope?: string;
    readonly aud?: string | string[];
    readonly consumed?: unknown;
    readonly isExpired: boolean;
    readonly exp?: number;
    destroy(): Promise<void>;
  }

  export interface TokenModel {
    find(value: string, options?: { ignoreExpiration?: boolean }): Promise<OidcToken | undefined>;
  }

  export interface GrantInstance {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[] };
    params: Record<string, unknown>;
  }

  export interface ProviderContext {
    oidc: { params?: Record<string, unknown>; client?: { clientId: string } };
  }

  export class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: any[]) => void): this;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    readonly Grant: new (init: { accountId: string; clientId: string }) => GrantInstance;
    readonly AccessToken: TokenModel;
    readonly ClientCredentials: TokenModel;
    readonly RefreshToken: TokenModel;
  }

  export const errors: Record<string, new (description?: string) => Error>;
  export default Provider;
}
