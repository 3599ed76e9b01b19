/**
 * The subset of oidc-provider 9 (which ships no types) that the emulator uses. Kept to one
 * typed adapter so that no call site needs a type escape.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type Koa from 'koa';

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, string | undefined>;
    session?: { accountId?: string; uid?: string } | undefined;
    returnTo: string;
    lastSubmission?: Record<string, unknown>;
  }

  export interface GrantInstance {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }

  export interface StoredCode {
    accountId?: string;
    redirectUri?: string;
    codeChallenge?: string;
    codeChallengeMethod?: string;
    nonce?: string;
    consumed?: number;
    clientId?: string;
  }

  export interface StoredRefresh {
    accountId?: string;
    destroy(): Promise<void>;
  }

  export interface ClientInstance {
    clientId: string;
    redirectUriAllowed(value: string): boolean;
    postLogoutRedirectUriAllowed(value: string): boolean;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    app: Koa;
    proxy: boolean;
    Grant: new (init: { accountId: string; clientId: string }) => GrantInstance;
    AuthorizationCode: {
      find(code: string, opts?: { ignoreExpiration?: boolean }): Promise<StoredCode | undefined>;
    };
    RefreshToken: {
      find(token: string, opts?: { ignoreExpiration?: boolean }): Promise<StoredRefresh | undefined>;
    };
    Client: { prototype: ClientInstance };
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      opts?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
