/**
 * Organizations (platform admins only): every organization with the FHIR sources linked to it,
 * and a button to look at one of them in the rest of the console.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { listLinkedSources } from '../settings/org-links.ts';
import { getOrganization, listOrganizations } from '../settings/organizations.ts';
import { redirectAfterPost, sendPage } from './console-http.ts';
import { requirePlatformAdmin, sessionOf } from './session-guard.ts';
import { setFlash, setViewedOrganization, takeFlash } from './sessions.ts';
import { organizationsPage } from './views/organizations.ts';

export function organizationHandlers(services: Services) {
  const { db, sealer } = services;
  return {
    async list(request: FastifyRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      requirePlatformAdmin(session);
      const rows = [];
      for (const org of await listOrganizations(db)) {
        rows.push({ org, sources: await listLinkedSources(db, org.id) });
      }
      const flash = await takeFlash(db, sealer, session);
      return sendPage(reply, 200, organizationsPage(session, rows, flash));
    },

    async view(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) {
      const session = sessionOf(request);
      requirePlatformAdmin(session);
      const org = await getOrganization(db, request.params.id);
      await setViewedOrganization(db, session, org.id);
      await setFlash(db, sealer, session, { notice: `Now showing ${org.name}.` });
      return redirectAfterPost(reply, '/admin/organizations');
    },
  };
}
