/**
 * The FHIR proxy, described (routes.ts wires it). Bodies are FHIR resources, JSON Patch or forms,
 * relayed as they are (body-parsers.ts), so only the path and headers are described here.
 */
import { Type } from 'typebox';
import { anyJson, text } from '../http/schemas.ts';

const Params = Type.Object({
  launchId: text(200, {
    description: 'The `mb_launch` handle (API key), or a CDS service’s `cds-…` base (CDS FHIR token).',
  }),
  '*': Type.Optional(Type.String({ description: 'The FHIR path under the EHR’s FHIR base.' })),
});

export const fhirProxySchema = {
  summary: 'FHIR data of a launch, relayed to the EHR with the launch’s token',
  tags: ['FHIR'],
  headers: Type.Object({
    authorization: Type.Optional(
      Type.String({ description: '`Bearer <API key>` of the launch’s org and environment.' }),
    ),
  }),
  params: Params,
  response: {
    default: anyJson(
      'The EHR’s answer with its status, base URLs pointing back here; or an OperationOutcome of ours whose issue[0].details.coding[0].code is the error code.',
    ),
  },
} as const;
