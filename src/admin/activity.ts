/** Launches and Audit pages (read-only). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeAuditCursor, listAuditEvents } from '../audit/audit-list.ts';
import { PAGE_SIZE, type PageRequest } from '../db/paging.ts';
import { decodeLaunchCursor, isLaunchStatus, LAUNCH_STATUSES, listLaunches } from '../launch/launch-list.ts';
import { isUuid } from '../launch/uuid.ts';
import type { Services } from '../services.ts';
import { sendPage } from './console-http.ts';
import type { AuditQuery, LaunchesQuery } from './schemas.ts';
import { sessionOf } from './session-guard.ts';
import { auditPage } from './views/audit.ts';
import { launchesPage } from './views/launches.ts';

function pageRequest<C>(
  query: { before?: string; after?: string },
  decode: (value: string | undefined) => C | null,
): PageRequest<C> {
  const before = decode(query.before);
  if (before !== null) return { direction: 'older', cursor: before };
  const after = decode(query.after);
  if (after !== null) return { direction: 'newer', cursor: after };
  return { direction: 'first' };
}

export function activityHandlers(services: Services) {
  const { db } = services;
  return {
    async launches(request: FastifyRequest<{ Querystring: LaunchesQuery }>, reply: FastifyReply) {
      const session = sessionOf(request);
      const wanted = request.query.status ?? '';
      const status = isLaunchStatus(wanted) ? wanted : null;
      const page = await listLaunches(
        db,
        session.orgId,
        { status },
        pageRequest(request.query, decodeLaunchCursor),
        PAGE_SIZE,
      );
      return sendPage(reply, 200, launchesPage({ viewer: session, page, status, statuses: LAUNCH_STATUSES }));
    },

    async audit(request: FastifyRequest<{ Querystring: AuditQuery }>, reply: FastifyReply) {
      const session = sessionOf(request);
      const launch = (request.query.launch ?? '').trim();
      const launchError =
        launch && !isUuid(launch.toLowerCase())
          ? 'Enter a launch id: the mb_launch uuid, like 0b8e5c1a-7f0e-4c39-9d3e-2a51c0f4b7de.'
          : undefined;
      const page = launchError
        ? { rows: [], older: null, newer: null }
        : await listAuditEvents(
            db,
            session.orgId,
            { launchId: launch ? launch.toLowerCase() : null },
            pageRequest(request.query, decodeAuditCursor),
            PAGE_SIZE * 2,
          );
      return sendPage(
        reply,
        launchError ? 422 : 200,
        auditPage({ viewer: session, page, launch, launchError }),
      );
    },
  };
}
