/**
 * The `/metadata` CapabilityStatement of a profile server: the sandbox's resource types and search
 * parameters (discovery.ts), the SMART-on-FHIR security service and the oauth-uris extension
 * (SMART App Launch 1.0 "Conformance"; 2.x still describes it for servers that keep it).
 */
import type { CapabilityStatement } from 'fhir/r4.js';
import { FIXTURE_LAST_UPDATED } from './data.ts';
import { restResource, SUPPORTED_TYPES } from './fhir-capabilities.ts';
import type { ProfileServer } from './profile-types.ts';

export interface SoftwareNames {
  name: string;
  publisher: string;
  version?: string;
}

export function profileCapabilityStatement(
  server: ProfileServer,
  software: SoftwareNames,
): CapabilityStatement {
  const { urls } = server;
  const oauthUris = [
    { url: 'authorize', valueUri: urls.authorize },
    { url: 'token', valueUri: urls.token },
    ...(urls.revoke ? [{ url: 'revoke', valueUri: urls.revoke }] : []),
    ...(urls.introspect ? [{ url: 'introspect', valueUri: urls.introspect }] : []),
  ];
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: FIXTURE_LAST_UPDATED,
    publisher: software.publisher,
    kind: 'instance',
    software: { name: software.name, ...(software.version ? { version: software.version } : {}) },
    implementation: { description: `${server.label}, local sandbox`, url: urls.fhir },
    fhirVersion: '4.0.1',
    format: ['json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        security: {
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: oauthUris,
            },
          ],
          cors: true,
          service: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                  code: 'SMART-on-FHIR',
                },
              ],
              text: 'OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)',
            },
          ],
        },
        resource: SUPPORTED_TYPES.map(restResource),
      },
    ],
  };
}
