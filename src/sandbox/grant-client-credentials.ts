/** The client_credentials grant (S5): confidential clients, registered system/ scopes, no wildcards. */
import type { AuthenticatedClient } from './client-auth.ts';
import type { SandboxContext } from './context.ts';
import { TokenEndpointError, URN } from './errors.ts';
import { parseResourceScope, splitScope } from './scopes.ts';
import type { GrantContext } from './state.ts';
import { accessTokenFields, type TokenResponseBody } from './token-response.ts';

/** The requested scopes, each a registered, non-wildcard system/ scope. */
function checkSystemScopes(fields: Record<string, string>, client: AuthenticatedClient): string[] {
  const { app } = client;
  const scopes = splitScope(fields.scope);
  const registered = new Set(app.scopes);
  const valid = scopes.every((scope) => {
    const parsed = parseResourceScope(scope);
    return parsed?.context === 'system' && !parsed.wildcard && registered.has(scope);
  });
  if (scopes.length === 0)
    throw new TokenEndpointError('invalid_scope', URN.emptyScopes, 'no scope requested', app.clientId);
  if (!valid) {
    throw new TokenEndpointError(
      'invalid_scope',
      URN.emptyScopes,
      'only registered system/ scopes are allowed',
      app.clientId,
    );
  }
  return scopes;
}

export async function clientCredentialsGrant(
  ctx: SandboxContext,
  fields: Record<string, string>,
  client: AuthenticatedClient,
): Promise<TokenResponseBody> {
  const { app } = client;
  if (client.method === 'none') {
    throw new TokenEndpointError(
      'unauthorized_client',
      URN.invalidRequest,
      'public clients cannot use client_credentials',
      app.clientId,
    );
  }
  const scopes = checkSystemScopes(fields, client);
  // The client acts for itself: no user, session or launch context.
  const grant: GrantContext = {
    clientId: app.clientId,
    username: app.clientId,
    sessionId: '',
    scopes: [...new Set(scopes)].sort(),
    needPatientBanner: false,
  };
  return accessTokenFields(ctx, grant, app);
}
