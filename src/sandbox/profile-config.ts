/**
 * Registrations of the sandbox's Epic-shaped and generic SMART App Launch 2 profiles
 * (docs/sandbox-profiles.md), and the reading of them from a JSON config file. Neither has a
 * console of its own: apps are given in the options (tests, `chartside dev`, the config file).
 */

import { isObject, type Json, OptionReader } from './option-reader.ts';
import { httpUrl, isAbsoluteUrl } from './url-checks.ts';

/** One of Epic's two client ids of an app, with what authenticates it there. */
export interface EpicClientCredentials {
  clientId: string;
  /** A client secret for `client_secret_basic` or `client_secret_post`. */
  secret?: string;
  /** The environment's "JWK Set URL": client assertions are checked against it. */
  jwksUrl?: string;
}

/**
 * An app as registered on Epic's developer site: one app, two client ids (non-production for the
 * sandbox, production for customers' systems), each with its own credentials.
 */
export interface EpicAppRegistration {
  name: string;
  nonProduction: EpicClientCredentials;
  production: EpicClientCredentials;
  /** Matched exactly. */
  redirectUris: string[];
  /** Where the launcher sends the browser with `iss` and `launch`. */
  launchUri: string;
  /**
   * The app's "Incoming APIs" as the SMART scopes Epic grants for them (`user/Patient.read`, …).
   * Epic grants these whatever the authorize request asks for.
   */
  scopes: string[];
  /** Issue refresh tokens (when `offline_access` is requested). Default: a confidential app does. */
  refreshTokens?: boolean;
  /** Further key set URLs a client assertion's `jku` header may name (Epic's JKU lookup). */
  jkuAllowlist?: string[];
}

/** An app registered at a generic SMART App Launch 2 EHR. */
export interface SmartAppRegistration {
  name: string;
  clientId: string;
  /** `client_secret_basic` (client-confidential-symmetric). */
  secret?: string;
  /** `private_key_jwt` (client-confidential-asymmetric), RS384 or ES384. */
  jwksUrl?: string;
  redirectUris: string[];
  /** Where the launcher sends the browser; an app without one can only launch standalone. */
  launchUri?: string;
  /** SMART v2 scopes the app may be granted; wildcards (`user/*.rs`) allowed. */
  scopes: string[];
  /** `offline_access` and `online_access` give a refresh token. Default true. */
  refreshTokens?: boolean;
}

function redirectUris(read: OptionReader, raw: Json): string[] {
  const uris = read.stringList(raw, 'redirectUris');
  if (uris.length === 0) read.fail('redirectUris', 'needs at least one URI');
  for (const uri of uris) {
    if (!isAbsoluteUrl(uri) || uri.includes('#'))
      read.fail('redirectUris', `contains a URI that is not absolute or has a fragment: ${uri}`);
  }
  return uris;
}

function optionalHttpUrl(read: OptionReader, raw: Json, field: string): string | undefined {
  const value = read.string(raw, field, false);
  if (value !== undefined && !httpUrl(value)) read.fail(field, 'must be an http(s) URL');
  return value;
}

function epicCredentials(raw: unknown, where: string): EpicClientCredentials {
  if (!isObject(raw)) throw new Error(`${where}: must be an object with clientId`);
  const read = new OptionReader(where);
  const credentials: EpicClientCredentials = { clientId: read.string(raw, 'clientId', true) };
  const secret = read.string(raw, 'secret', false);
  if (secret !== undefined) credentials.secret = secret;
  const jwksUrl = optionalHttpUrl(read, raw, 'jwksUrl');
  if (jwksUrl !== undefined) credentials.jwksUrl = jwksUrl;
  return credentials;
}

export function validateEpicApp(raw: unknown, where: string): EpicAppRegistration {
  if (!isObject(raw)) throw new Error(`${where}: must be an object`);
  const read = new OptionReader(where);
  const launchUri = read.string(raw, 'launchUri', true);
  if (!httpUrl(launchUri)) read.fail('launchUri', 'must be an http(s) URL');
  const app: EpicAppRegistration = {
    name: read.string(raw, 'name', true),
    nonProduction: epicCredentials(raw.nonProduction, `${where}: nonProduction`),
    production: epicCredentials(raw.production, `${where}: production`),
    redirectUris: redirectUris(read, raw),
    launchUri,
    scopes: read.stringList(raw, 'scopes'),
  };
  if (app.nonProduction.clientId === app.production.clientId)
    read.fail('production', 'needs a client id of its own (Epic issues two)');
  const refreshTokens = read.boolean(raw, 'refreshTokens');
  if (refreshTokens !== undefined) app.refreshTokens = refreshTokens;
  if (raw.jkuAllowlist !== undefined) {
    const allowlist = read.stringList(raw, 'jkuAllowlist');
    if (allowlist.some((url) => !httpUrl(url))) read.fail('jkuAllowlist', 'must hold http(s) URLs');
    app.jkuAllowlist = allowlist;
  }
  return app;
}

export function validateSmartApp(raw: unknown, where: string): SmartAppRegistration {
  if (!isObject(raw)) throw new Error(`${where}: must be an object`);
  const read = new OptionReader(where);
  const app: SmartAppRegistration = {
    name: read.string(raw, 'name', true),
    clientId: read.string(raw, 'clientId', true),
    redirectUris: redirectUris(read, raw),
    scopes: read.stringList(raw, 'scopes'),
  };
  const secret = read.string(raw, 'secret', false);
  if (secret !== undefined) app.secret = secret;
  const jwksUrl = optionalHttpUrl(read, raw, 'jwksUrl');
  if (jwksUrl !== undefined) app.jwksUrl = jwksUrl;
  const launchUri = optionalHttpUrl(read, raw, 'launchUri');
  if (launchUri !== undefined) app.launchUri = launchUri;
  const refreshTokens = read.boolean(raw, 'refreshTokens');
  if (refreshTokens !== undefined) app.refreshTokens = refreshTokens;
  return app;
}

/** Every client id an Epic registration uses. */
export function epicClientIds(app: EpicAppRegistration): string[] {
  return [app.nonProduction.clientId, app.production.clientId];
}
