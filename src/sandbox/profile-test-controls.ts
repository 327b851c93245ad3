/**
 * The test controls' side of the Epic and SMART profiles: `POST /_test/launch` for their apps
 * (with each profile's own context fields), and `POST /_test/sessions`, a signed-in sandbox user
 * for standalone launches, optionally with the patient they will pick at the patient picker.
 */
import type { SandboxContext } from './context.ts';
import { findPatient, findUser } from './data.ts';
import { createProfileLaunch, type ProfileLaunch, type ProfileLaunchInput } from './profile-launch.ts';
import type { ProfileClient, ProfileServer } from './profile-types.ts';
import { SESSION_COOKIE } from './session.ts';
import type { FhirContextItem, LaunchExtras } from './state.ts';

type JsonBody = Record<string, unknown>;

const COMMON_FIELDS = ['client_id', 'patient', 'encounter', 'username', 'need_patient_banner'];
const PROFILE_FIELDS = {
  epic: ['appointment', 'location', 'login_department'],
  smart: ['intent', 'fhir_context'],
} as const;
const MAX_FHIR_CONTEXT = 20;
const MAX_TEXT = 200;

class BadInput extends Error {}

function text(body: JsonBody, name: string): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > MAX_TEXT)
    throw new BadInput(`${name} must be a non-empty string of at most ${MAX_TEXT} characters`);
  return value;
}

function fhirContextItem(value: unknown): FhirContextItem {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BadInput('fhir_context entries must be objects');
  const item: FhirContextItem = {};
  const entry = value as JsonBody;
  for (const [name, field] of Object.entries(entry)) {
    if (name === 'identifier') {
      const identifier = field as JsonBody;
      const idValue =
        typeof identifier === 'object' && identifier !== null ? text(identifier, 'value') : undefined;
      if (idValue === undefined)
        throw new BadInput('identifier must be an object with a value (and a system)');
      const system = text(identifier, 'system');
      item.identifier = { ...(system !== undefined ? { system } : {}), value: idValue };
    } else if (name === 'reference' || name === 'canonical' || name === 'type' || name === 'role') {
      item[name] = text(entry, name);
    } else {
      throw new BadInput(
        'fhir_context entries may have reference, canonical, identifier, type and role only',
      );
    }
  }
  // SMART App Launch 2.2: each entry has at least one of reference, canonical, identifier.
  if (!item.reference && !item.canonical && !item.identifier)
    throw new BadInput('each fhir_context entry needs reference, canonical or identifier');
  return item;
}

function extrasOf(server: ProfileServer, body: JsonBody): LaunchExtras {
  const extras: LaunchExtras = {};
  if (server.profile === 'epic') {
    const appointment = text(body, 'appointment');
    const location = text(body, 'location');
    const loginDepartment = text(body, 'login_department');
    if (appointment !== undefined) extras.appointment = appointment;
    if (location !== undefined) extras.location = location;
    if (loginDepartment !== undefined) extras.loginDepartment = loginDepartment;
    return extras;
  }
  const intent = text(body, 'intent');
  if (intent !== undefined) extras.intent = intent;
  const fhirContext = body.fhir_context;
  if (fhirContext !== undefined) {
    if (!Array.isArray(fhirContext) || fhirContext.length > MAX_FHIR_CONTEXT)
      throw new BadInput(`fhir_context must be an array of at most ${MAX_FHIR_CONTEXT} entries`);
    extras.fhirContext = fhirContext.map(fhirContextItem);
  }
  return extras;
}

/** `POST /_test/launch` for an Epic or SMART app; a string is the 400's message. */
export function profileTestLaunch(
  ctx: SandboxContext,
  server: ProfileServer,
  client: ProfileClient,
  body: JsonBody,
): ProfileLaunch | string {
  try {
    const allowed = new Set<string>([...COMMON_FIELDS, ...PROFILE_FIELDS[server.profile]]);
    const unknown = Object.keys(body).find((name) => !allowed.has(name));
    if (unknown !== undefined)
      throw new BadInput(`a ${server.label} launch has no field "${unknown.slice(0, 40)}"`);
    const username = text(body, 'username') ?? 'portal';
    if (!findUser(username)) throw new BadInput('username must name a sandbox user');
    const banner = body.need_patient_banner;
    if (banner !== undefined && typeof banner !== 'boolean')
      throw new BadInput('need_patient_banner must be a boolean');
    const encounter = body.encounter === null ? null : text(body, 'encounter');
    const input: ProfileLaunchInput = { username, extras: extrasOf(server, body) };
    const patient = text(body, 'patient');
    if (patient !== undefined) input.patientId = patient;
    if (encounter !== undefined) input.encounterId = encounter;
    if (banner !== undefined) input.needPatientBanner = banner;
    return createProfileLaunch(ctx, server, client, input);
  } catch (error) {
    if (error instanceof BadInput) return error.message;
    throw error;
  }
}

/** `POST /_test/sessions {username?, patient?}`: `{session_cookie}`, or a string for a 400. */
export function testSession(ctx: SandboxContext, body: JsonBody): { session_cookie: string } | string {
  try {
    const username = text(body, 'username') ?? 'portal';
    if (!findUser(username)) throw new BadInput('username must name a sandbox user');
    const patient = text(body, 'patient');
    if (patient !== undefined && !findPatient(patient))
      throw new BadInput('patient must name a sandbox patient');
    const session = ctx.state.createSession(username);
    if (patient !== undefined) session.patientPick = patient;
    return { session_cookie: `${SESSION_COOKIE}=${session.id}` };
  } catch (error) {
    if (error instanceof BadInput) return error.message;
    throw error;
  }
}
