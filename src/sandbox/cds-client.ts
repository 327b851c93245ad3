/**
 * The chart's CDS Hooks client: when the Test Sandbox chart opens a patient, `patient-view` is
 * fired at each of the app's registered CDS service URLs, as Cerner's CDS Hooks beta does
 * (docs/cerner.md §9): a JWT signed with the sandbox's published P-384 key (`iss` = the
 * configured CDS issuer, `aud` = the exact service URL), `fhirServer` and a short-lived
 * `fhirAuthorization` for the patient, the context, and the Patient as prefetch.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SandboxAppRegistration } from './config.ts';
import type { SandboxContext } from './context.ts';
import { PATIENT_RESOURCES, type SandboxPatient, type SandboxUser } from './data.ts';

export interface CdsCardView {
  summary: string;
  indicator: string;
  source: string;
  detail?: string;
  links: { label: string; url: string }[];
}

export interface CdsCallOutcome {
  url: string;
  status: number | null;
  cards: CdsCardView[];
  error?: string;
}

const READ_SCOPE = /^(?:user|patient)\/[A-Za-z*]+\.read$/;

export async function firePatientView(
  ctx: SandboxContext,
  app: SandboxAppRegistration,
  patient: SandboxPatient,
  user: SandboxUser | undefined,
): Promise<CdsCallOutcome[]> {
  const urls = app.cdsServiceUrls ?? [];
  if (urls.length === 0) return [];
  const scopes = app.scopes.filter((scope) => READ_SCOPE.test(scope));
  const accessToken = await ctx.minter.accessToken(
    {
      clientId: app.clientId,
      username: user?.username ?? 'portal',
      sessionId: `cds-${randomUUID()}`,
      scopes,
      patientId: patient.id,
      encounterId: patient.encounterId,
      needPatientBanner: false,
    },
    app,
  );
  const body = {
    hook: 'patient-view',
    hookInstance: randomUUID(),
    fhirServer: ctx.urls.fhirBase,
    fhirAuthorization: {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ctx.accessTokenLifetimeSeconds - 30,
      scope: scopes.join(' '),
      subject: app.clientId,
      patient: patient.id,
    },
    context: {
      userId: `Practitioner/${user?.practitionerId ?? 'unknown'}`,
      patientId: patient.id,
      encounterId: patient.encounterId,
    },
    prefetch: { patient: PATIENT_RESOURCES.find((resource) => resource.id === patient.id) ?? null },
  };
  return Promise.all(urls.map((url) => call(ctx, url, body)));
}

async function call(ctx: SandboxContext, url: string, body: unknown): Promise<CdsCallOutcome> {
  const key = ctx.keys.cdsHooks;
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT({ tenant: ctx.tenant })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(ctx.cds.issuer)
    .setAudience(url)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .setJti(randomUUID())
    .sign(key.privateKey);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: `Bearer ${jwt}`,
      },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(ctx.cds.timeoutMs),
    });
    const text = await response.text();
    if (!response.ok)
      return { url, status: response.status, cards: [], error: `answered ${response.status}` };
    return { url, status: response.status, cards: cardViews(JSON.parse(text)) };
  } catch (error) {
    return { url, status: null, cards: [], error: (error as Error).message };
  }
}

function cardViews(body: unknown): CdsCardView[] {
  const cards = (body as { cards?: unknown } | null)?.cards;
  if (!Array.isArray(cards)) return [];
  return cards.map((raw) => {
    const card = raw as Record<string, unknown>;
    const source = card.source as { label?: unknown } | undefined;
    const links = Array.isArray(card.links) ? (card.links as Record<string, unknown>[]) : [];
    const view: CdsCardView = {
      summary: String(card.summary ?? ''),
      indicator: String(card.indicator ?? 'info'),
      source: String(source?.label ?? ''),
      links: links
        .filter((link) => typeof link.url === 'string' && /^https?:\/\//.test(link.url))
        .map((link) => ({ label: String(link.label ?? link.url), url: link.url as string })),
    };
    if (typeof card.detail === 'string') view.detail = card.detail;
    return view;
  });
}
