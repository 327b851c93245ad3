/**
 * URL wiring of the sandbox. One origin stands in for several Cerner hosts, separated by path
 * (docs/cerner.md §10): FHIR (`/r4`), authorization server (`/tenants`, `/jwk`, `/errors`),
 * launcher (`/smart`), Code Console (`/developer`, `/system-accounts`) and test controls.
 */
import type { FastifyInstance } from 'fastify';
import { authorizeHandlers } from './authorize.ts';
import { consoleHandlers } from './console.ts';
import { accountHandlers } from './console-account.ts';
import { CONSOLE_SIGN_IN_PATH, CONSOLE_SIGN_OUT_PATH } from './console-session.ts';
import { wizardHandlers } from './console-wizard.ts';
import type { SandboxContext } from './context.ts';
import { discoveryHandlers } from './discovery.ts';
import { fhirHandlers } from './fhir-server.ts';
import { launcherHandlers } from './launcher.ts';
import { registerProfileRoutes } from './profile-routes.ts';
import { revocationHandlers } from './revocation.ts';
import { LOGIN_PATH, loginHandlers } from './session.ts';
import { testControlHandlers } from './test-controls.ts';
import { tokenHandlers } from './token.ts';

const FHIR = '/r4/:tenant';
const TENANT = '/tenants/:tenant';
const PROFILE = 'protocols/oauth2/profiles/:profile';
const TOKEN_PATHS = [`${TENANT}/${PROFILE}/token`, `${TENANT}/hosts/:host/${PROFILE}/token`];
const LAUNCHER = '/smart/:tenant/apps/:applicationId';
const CONSOLE_APPS = '/developer/smart-on-fhir/apps';
const CONSOLE_APP = `${CONSOLE_APPS}/:applicationId`;
const SYSTEM_ACCOUNT = '/system-accounts/:clientId';

export function registerSandboxRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const record = ctx.requestLog.recorded.bind(ctx.requestLog);
  const discovery = discoveryHandlers(ctx);
  const authorize = authorizeHandlers(ctx);
  const token = tokenHandlers(ctx);
  const revocation = revocationHandlers(ctx);
  const fhir = fhirHandlers(ctx);
  const login = loginHandlers(ctx);
  const launcher = launcherHandlers(ctx);
  const codeConsole = consoleHandlers(ctx);
  const wizard = wizardHandlers(ctx);
  const account = accountHandlers(ctx);

  // FHIR server and discovery.
  app.get(
    `${FHIR}/.well-known/smart-configuration`,
    record('smart-configuration', discovery.smartConfiguration),
  );
  app.get(`${FHIR}/metadata`, record('metadata', discovery.metadata));
  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: `${FHIR}/*`,
    handler: record('fhir', fhir.resource),
  });
  app.options(`${FHIR}/*`, fhir.preflight);

  // Authorization server.
  const authorizePath = `${TENANT}/${PROFILE}/personas/:persona/authorize`;
  app.get(authorizePath, record('authorize', authorize.authorizeGet));
  app.post(authorizePath, record('authorize', authorize.authorizePost));
  for (const path of TOKEN_PATHS) {
    app.post(path, record('token', token.token));
    app.options(path, token.preflight);
  }
  app.post(`${TENANT}/${PROFILE}/token/revoke`, record('revoke', revocation.revoke));
  app.post('/tokeninfo', revocation.introspect);
  app.get('/jwk', record('jwk', discovery.jwks));
  app.get(`${TENANT}/oidc/idsps/:idsp/.well-known/openid-configuration`, discovery.openidConfiguration);
  app.get(`${TENANT}/personas/:persona/my-authorizations`, revocation.manage);
  app.get('/errors/:urn/instances/:instance', launcher.errorInstance);
  app.get('/styles/smart-v1.json', discovery.smartStyle);

  // Oracle Health sign-in and the EHR launcher.
  app.get(LOGIN_PATH, login.showLogin);
  app.post(LOGIN_PATH, login.submitLogin);
  // The launcher URL is documented with a trailing slash (S2); accept it without one too.
  app.get(LAUNCHER, launcher.launch);
  app.get(`${LAUNCHER}/`, launcher.launch);
  app.post(`${LAUNCHER}/consent`, launcher.consent);

  // Code Console: sign-in, My Applications, + New Application, Application Details, Test Sandbox.
  app.get('/', codeConsole.home);
  app.get(CONSOLE_SIGN_IN_PATH, codeConsole.showSignIn);
  app.post(CONSOLE_SIGN_IN_PATH, codeConsole.signIn);
  app.post(CONSOLE_SIGN_OUT_PATH, codeConsole.signOut);
  app.get(CONSOLE_APPS, codeConsole.myApplications);
  app.get(`${CONSOLE_APPS}/new`, wizard.start);
  app.get(`${CONSOLE_APPS}/new/:step`, wizard.showStep);
  app.post(`${CONSOLE_APPS}/new/:step`, wizard.postStep);
  app.get(CONSOLE_APP, codeConsole.applicationDetail);
  app.get(`${CONSOLE_APP}/edit`, codeConsole.showEditUris);
  app.post(`${CONSOLE_APP}/edit`, codeConsole.editUris);
  app.get(`${CONSOLE_APP}/test-sandbox`, codeConsole.selectPatient);
  app.get(`${CONSOLE_APP}/test-sandbox/ready`, codeConsole.readyToLaunch);

  // Cerner Central: the app's system account, its secret and its JSON Web Key Set URL.
  app.get(SYSTEM_ACCOUNT, account.show);
  app.post(`${SYSTEM_ACCOUNT}/secret/view`, account.viewSecret);
  app.get(`${SYSTEM_ACCOUNT}/secret`, account.showManageSecret);
  app.post(`${SYSTEM_ACCOUNT}/secret/rotate`, account.rotateSecret);
  app.get(`${SYSTEM_ACCOUNT}/jwks/edit`, account.showEditJwks);
  app.post(`${SYSTEM_ACCOUNT}/jwks`, account.saveJwks);
  app.post(`${SYSTEM_ACCOUNT}/jwks/test`, account.testJwks);

  // The Epic-shaped and generic SMART profiles, under /epic/ and /smart-ehr/.
  registerProfileRoutes(app, ctx);

  if (ctx.testControls) {
    const controls = testControlHandlers(ctx);
    app.post('/_test/launch', controls.launch);
    app.get('/_test/faults', controls.getFaults);
    app.put('/_test/faults', controls.putFaults);
    app.delete('/_test/faults', controls.clearFaults);
    app.get('/_test/requests', controls.listRequests);
    app.delete('/_test/requests', controls.clearRequests);
    app.post('/_test/clock', controls.advanceClock);
    app.delete('/_test/clock', controls.resetClock);
    app.post('/_test/sessions', controls.createSession);
    app.post('/_test/sessions/end', controls.endSessions);
    app.get('/_test/settings', controls.getSettings);
    app.put('/_test/settings', controls.putSettings);
    app.post('/_test/refresh-tokens/revoke', controls.revokeRefreshTokens);
  }
}
