/**
 * Platform admins and org operators in the console: only a platform admin adds, edits,
 * re-environments or links FHIR sources; an org operator sees their own org's linked sources,
 * read-only, and nothing of other organizations. Every change is audited with who made it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOperator } from '../src/admin/operators.ts';
import { addFhirSource } from '../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../src/settings/org-links.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import {
  type ConsoleApp,
  ConsoleClient,
  csrfTokenOf,
  PASSWORD,
  signedIn,
  startConsoleApp,
} from './support/admin-console.ts';
import type { TestEngine } from './support/databases.ts';

for (const engine of ['sqlite', 'postgres'] as const satisfies readonly TestEngine[]) {
  describe(`console roles (${engine})`, () => {
    let consoleApp: ConsoleApp;
    let admin: ConsoleClient;
    let operator: ConsoleClient;
    let orgId: string;
    let otherOrgId: string;
    let linkedId: string;
    let unlinkedId: string;
    let productionId: string;

    before(async () => {
      consoleApp = await startConsoleApp({ engine, role: 'platform_admin' });
      const { db } = consoleApp.app.services;
      orgId = consoleApp.orgId;
      otherOrgId = (await createOrganization(db, { name: 'Zeta Hospital' })).id;
      const linked = await addFhirSource(db, {
        iss: 'https://fhir.linked.example.org/r4/t1',
        vendor: 'cerner',
        environment: 'sandbox',
        name: 'Linked tenant',
      });
      const unlinked = await addFhirSource(db, {
        iss: 'https://fhir.hidden.example.org/r4/t2',
        vendor: 'cerner',
        environment: 'sandbox',
        name: 'Hidden tenant',
      });
      const production = await addFhirSource(db, {
        iss: 'https://fhir.hospital.example.org/r4/t3',
        vendor: 'cerner',
        environment: 'production',
        name: 'Hospital tenant',
      });
      linkedId = linked.id;
      unlinkedId = unlinked.id;
      productionId = production.id;
      await linkOrgToSource(db, { orgId, sourceId: linkedId, actor: 'test' });
      await createOperator(db, { orgId, email: 'ops@clinic.example', password: PASSWORD });
      admin = await signedIn(consoleApp);
      operator = new ConsoleClient(consoleApp.app);
      assert.equal((await operator.signIn('ops@clinic.example')).statusCode, 303);
    });
    after(() => consoleApp.close());

    async function sourceRow(id: string) {
      return consoleApp.app.services.db
        .selectFrom('fhir_source')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
    }

    it('an org operator sees only the sources linked to their org, read-only', async () => {
      const list = await operator.get('/admin/settings/fhir-sources');
      assert.equal(list.statusCode, 200);
      assert.ok(list.body.includes('Linked tenant'));
      assert.ok(!list.body.includes('Hidden tenant'));
      assert.ok(!list.body.includes('Hospital tenant'));
      assert.ok(!list.body.includes('Add a FHIR source'));
      assert.match(list.body, /Org operator/);

      const page = await operator.get(`/admin/settings/fhir-sources/${linkedId}`);
      assert.equal(page.statusCode, 200);
      assert.ok(page.body.includes('Only a platform admin can change a FHIR source.'));
      assert.ok(!page.body.includes(`action="/admin/settings/fhir-sources/${linkedId}" `));
      assert.ok(!page.body.includes('Linked organizations'));

      const hidden = await operator.get(`/admin/settings/fhir-sources/${unlinkedId}`);
      assert.equal(hidden.statusCode, 404, 'another tenant answers like a missing one');
      assert.equal((await operator.get('/admin/settings/fhir-sources/fhirsrc_doesnotexist')).statusCode, 404);
    });

    it('an org operator cannot add, edit, re-environment or link a source, on any route the console posts to', async () => {
      const csrf = csrfTokenOf((await operator.get('/admin/settings/fhir-sources')).body);
      assert.equal((await operator.get('/admin/settings/fhir-sources/new')).statusCode, 403);
      const before = await sourceRow(productionId);
      const attempts: [string, Record<string, string>][] = [
        [
          '/admin/settings/fhir-sources',
          {
            vendor: 'cerner',
            fhir_base_url: 'https://evil.example.org/r4',
            environment: 'sandbox',
            name: 'x',
          },
        ],
        [
          `/admin/settings/fhir-sources/${linkedId}`,
          {
            vendor: 'cerner',
            fhir_base_url: 'https://fhir.linked.example.org/r4/t1',
            environment: 'production',
            name: 'x',
          },
        ],
        [
          `/admin/settings/fhir-sources/${productionId}`,
          { vendor: 'cerner', fhir_base_url: before.fhir_base_url, environment: 'sandbox', name: 'x' },
        ],
        [`/admin/settings/fhir-sources/${productionId}/links`, { org_id: orgId }],
        [`/admin/settings/fhir-sources/${linkedId}/links/${orgId}/unlink`, {}],
        [`/admin/organizations/${otherOrgId}/view`, {}],
      ];
      for (const [url, form] of attempts) {
        const response = await operator.post(url, { _csrf: csrf, ...form });
        assert.equal(response.statusCode, 403, `${url} answered ${response.statusCode}`);
        assert.ok(response.body.includes('platform_admin_required'), url);
      }
      assert.equal((await operator.get('/admin/organizations')).statusCode, 403);

      const { db } = consoleApp.app.services;
      assert.deepEqual(await sourceRow(productionId), before, 'the production source is unchanged');
      assert.equal((await sourceRow(linkedId)).environment, 'sandbox');
      const sources = await db.selectFrom('fhir_source').select('fhir_base_url').execute();
      assert.ok(!sources.some((row) => row.fhir_base_url.includes('evil')));
      const links = await db.selectFrom('org_fhir_source').select(['org_id', 'fhir_source_id']).execute();
      assert.deepEqual(links, [{ org_id: orgId, fhir_source_id: linkedId }]);
    });

    it('an org operator sees nothing of another org, and cannot switch to it', async () => {
      const launches = await operator.get('/admin/launches');
      assert.ok(launches.body.includes('Console Clinic'));
      assert.ok(!launches.body.includes('Zeta Hospital'));
      assert.ok(!launches.body.includes('/admin/organizations'), 'no Organizations link');
    });

    it('a platform admin links a production source to one org; a second org is refused; all audited with who', async () => {
      const page = await admin.get(`/admin/settings/fhir-sources/${productionId}`);
      assert.equal(page.statusCode, 200);
      assert.ok(page.body.includes('Linked organizations'));
      assert.match(page.body, /Platform admin/);
      const csrf = csrfTokenOf(page.body);
      const linked = await admin.post(`/admin/settings/fhir-sources/${productionId}/links`, {
        _csrf: csrf,
        org_id: otherOrgId,
      });
      assert.equal(linked.statusCode, 303);
      const refused = await admin.post(`/admin/settings/fhir-sources/${productionId}/links`, {
        _csrf: csrf,
        org_id: orgId,
      });
      assert.equal(refused.statusCode, 303);
      const after = await admin.get(`/admin/settings/fhir-sources/${productionId}`);
      assert.match(after.body, /already linked to org_/);
      assert.ok(after.body.includes('Unlink the organization first'), 'no second org offered');

      const { db } = consoleApp.app.services;
      const links = await db
        .selectFrom('org_fhir_source')
        .select('org_id')
        .where('fhir_source_id', '=', productionId)
        .execute();
      assert.deepEqual(links, [{ org_id: otherOrgId }]);
      const audit = await db
        .selectFrom('audit_event')
        .select(['actor', 'org_id'])
        .where('action', '=', 'org.source_linked')
        .where('org_id', '=', otherOrgId)
        .execute();
      assert.deepEqual(audit, [{ actor: `operator:${consoleApp.email}`, org_id: otherOrgId }]);
    });

    it('a platform admin moving a production source to sandbox is audited and shown in the linked org’s audit page', async () => {
      const source = await sourceRow(productionId);
      const response = await admin.submit(
        `/admin/settings/fhir-sources/${productionId}`,
        `/admin/settings/fhir-sources/${productionId}`,
        { vendor: 'cerner', fhir_base_url: source.fhir_base_url, environment: 'sandbox', name: source.name },
      );
      assert.equal(response.statusCode, 303, response.body);
      assert.equal((await sourceRow(productionId)).environment, 'sandbox');
      const { db } = consoleApp.app.services;
      const events = await db
        .selectFrom('audit_event')
        .select(['org_id', 'actor', 'details'])
        .where('action', '=', 'fhir_source.environment_changed')
        .execute();
      assert.deepEqual(
        events.map((event) => event.org_id),
        [null, otherOrgId],
        'one platform event and one for the linked org',
      );
      for (const event of events) {
        assert.equal(event.actor, `operator:${consoleApp.email}`);
        assert.deepEqual(JSON.parse(event.details ?? '{}'), {
          id: productionId,
          from: 'production',
          to: 'sandbox',
        });
      }
      // The admin looks at the linked org, whose audit page now shows the change.
      const organizations = await admin.get('/admin/organizations');
      assert.ok(organizations.body.includes('Zeta Hospital'));
      assert.ok(organizations.body.includes('Hospital tenant'));
      const view = await admin.post(`/admin/organizations/${otherOrgId}/view`, {
        _csrf: csrfTokenOf(organizations.body),
      });
      assert.equal(view.statusCode, 303);
      const auditPage = await admin.get('/admin/audit');
      assert.ok(auditPage.body.includes('Zeta Hospital'));
      assert.ok(auditPage.body.includes('fhir_source.environment_changed'));
    });
  });
}
