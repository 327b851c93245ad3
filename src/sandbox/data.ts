/**
 * Fixture data of the sandbox tenant: the synthetic patients, their launch encounters, the
 * practitioner behind the `portal` login, and the sign-in users. Ids, names and birth dates come
 * from docs/cerner.md §10; descriptions, MRNs (except Joe's 6931) and encounter details are
 * local inventions that match the vital signs in vitals.ts.
 */
import type { Encounter, Patient, Practitioner } from 'fhir/r4.js';

/** Every fixture resource has the same version and last-updated stamp so ETags are stable. */
export const FIXTURE_VERSION = '1';
export const FIXTURE_LAST_UPDATED = '2025-06-01T12:00:00.000Z';

export interface SandboxPatient {
  id: string;
  given: string;
  family: string;
  gender: 'male' | 'female';
  birthDate: string;
  /** Encounter id used by Cerner's sandbox launches for this patient (docs/cerner.md §10). */
  encounterId: string;
  /** Start of that encounter (local invention). */
  encounterStart: string;
  encounterClass: 'AMB' | 'IMP' | 'EMER';
  encounterType: string;
  mrn: string;
  maritalStatus?: 'M' | 'S';
  /** One line shown in the Test Sandbox patient picker: the shape of the clinical data. */
  description: string;
}

export const PATIENTS: readonly SandboxPatient[] = [
  {
    id: '12724065',
    given: 'Wilma',
    family: 'SMART',
    gender: 'female',
    birthDate: '1947-03-16',
    encounterId: '97953483',
    encounterStart: '2025-05-12T14:00:00Z',
    encounterClass: 'AMB',
    encounterType: 'Hypertension follow-up',
    mrn: '6929',
    description: 'Older adult, hypertension follow-up: blood pressure trend, heart rate and weight',
  },
  {
    id: '12724066',
    given: 'Nancy',
    family: 'SMART',
    gender: 'female',
    birthDate: '1980-08-11',
    encounterId: '97953477',
    encounterStart: '2025-05-20T09:30:00Z',
    encounterClass: 'AMB',
    encounterType: 'Prenatal visit',
    mrn: '6930',
    maritalStatus: 'M',
    description: 'Adult, prenatal visit: blood pressure, weight and heart rate',
  },
  {
    id: '12724067',
    given: 'Joe',
    family: 'SMART',
    gender: 'male',
    birthDate: '1976-04-29',
    encounterId: '97953480',
    encounterStart: '2025-05-02T08:15:00Z',
    encounterClass: 'AMB',
    encounterType: 'Annual physical',
    mrn: '6931',
    maritalStatus: 'M',
    description: 'Adult, annual physical: a full set of adult vital signs',
  },
  {
    id: '12724068',
    given: 'Hailey',
    family: 'SMART',
    gender: 'female',
    birthDate: '2003-12-02',
    encounterId: '97953495',
    encounterStart: '2025-04-22T16:00:00Z',
    encounterClass: 'AMB',
    encounterType: 'Sports physical',
    mrn: '6932',
    description: 'Young adult, sports physical: height, weight and resting heart rate',
  },
  {
    id: '12724069',
    given: 'Timmy',
    family: 'SMART',
    gender: 'male',
    birthDate: '2012-02-19',
    encounterId: '97953492',
    encounterStart: '2025-05-28T19:45:00Z',
    encounterClass: 'EMER',
    encounterType: 'Asthma exacerbation',
    mrn: '6933',
    description: 'Child with asthma in the emergency department: respiratory rate and oxygen saturation',
  },
  {
    id: '12724070',
    given: 'Fredrick',
    family: 'SMART',
    gender: 'male',
    birthDate: '1946-08-22',
    encounterId: '97953489',
    encounterStart: '2025-05-30T03:20:00Z',
    encounterClass: 'IMP',
    encounterType: 'ICU admission',
    mrn: '6934',
    maritalStatus: 'M',
    description: 'Older adult in the ICU: frequent vitals with SpO2, temperature and respiratory rate',
  },
  {
    id: '12724071',
    given: 'Valerie',
    family: 'SMART',
    gender: 'female',
    birthDate: '1984-04-15',
    encounterId: '97953486',
    encounterStart: '2025-05-25T11:00:00Z',
    encounterClass: 'AMB',
    encounterType: 'Fever',
    mrn: '6935',
    maritalStatus: 'S',
    description: 'Adult with fever: temperature trend and heart rate',
  },
  {
    id: '12742399',
    given: 'Sandy',
    family: 'SMART',
    gender: 'female',
    birthDate: '2019-11-15',
    encounterId: '97953523',
    encounterStart: '2025-05-15T10:30:00Z',
    encounterClass: 'AMB',
    encounterType: 'Well-child visit',
    mrn: '6936',
    description: 'Child, well-child visit: height, weight and temperature',
  },
  {
    id: '12742397',
    given: 'Baby Boy',
    family: 'SMART',
    gender: 'male',
    birthDate: '2020-03-02',
    encounterId: '97953504',
    encounterStart: '2025-05-05T13:00:00Z',
    encounterClass: 'AMB',
    encounterType: 'Pediatric check-up',
    mrn: '6937',
    description: 'Young child, pediatric check-up: weight, length, heart rate and temperature',
  },
  {
    id: '12742400',
    given: 'Tim',
    family: 'PETERS',
    gender: 'male',
    birthDate: '1970-01-02',
    encounterId: '97953530',
    encounterStart: '2025-05-31T07:00:00Z',
    encounterClass: 'IMP',
    encounterType: 'Inpatient stay',
    mrn: '6938',
    description: 'Adult inpatient: many vital signs over two days (useful for paging)',
  },
];

/** Documented merged record: inactive, replaced by Joe, visible only on direct read (S7). */
export const MERGED_PATIENT_ID = '12742633';
export const MERGED_INTO_PATIENT_ID = '12724067';

export interface SandboxUser {
  username: string;
  /** Only users with a password can sign in on the login page. */
  password?: string;
  practitionerId: string;
  /** Display name, Cerner style "Family, Given". */
  name: string;
  family: string;
  given: string;
}

/**
 * `portal`/`portal` is the sandbox provider login (docs/cerner.md §10). `clinician2` is a local,
 * test-only identity (no password: it cannot sign in on the login page) so tests can present a
 * session of another user and provoke `launch:mismatched-identity` (S4.9).
 */
export const USERS: readonly SandboxUser[] = [
  {
    username: 'portal',
    password: 'portal',
    practitionerId: '12742069',
    name: 'Portal, Portal',
    family: 'Portal',
    given: 'Portal',
  },
  {
    username: 'clinician2',
    practitionerId: '99000001',
    name: 'Clinician, Second',
    family: 'Clinician',
    given: 'Second',
  },
];

/** The installation id pre-filled in the third field of the Oracle Health login (guide step 4). */
export const INSTALLATION_ID = 'C1941';

export function findUser(username: string): SandboxUser | undefined {
  return USERS.find((user) => user.username === username);
}

export function findPatient(id: string): SandboxPatient | undefined {
  return PATIENTS.find((patient) => patient.id === id);
}

/** "SMART, Wilma": Cerner's display form of a person name. */
export function patientDisplayName(patient: SandboxPatient): string {
  return `${patient.family}, ${patient.given}`;
}

function meta() {
  return { versionId: FIXTURE_VERSION, lastUpdated: FIXTURE_LAST_UPDATED };
}

function patientResource(patient: SandboxPatient): Patient {
  const resource: Patient = {
    resourceType: 'Patient',
    id: patient.id,
    meta: meta(),
    identifier: [
      {
        use: 'usual',
        type: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }],
          text: 'MRN',
        },
        value: patient.mrn,
      },
    ],
    active: true,
    name: [
      { use: 'official', text: patientDisplayName(patient), family: patient.family, given: [patient.given] },
    ],
    gender: patient.gender,
    birthDate: patient.birthDate,
  };
  if (patient.maritalStatus) {
    resource.maritalStatus = {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: patient.maritalStatus },
      ],
      text: patient.maritalStatus === 'M' ? 'Married' : 'Never Married',
    };
  }
  return resource;
}

const ENCOUNTER_CLASS_DISPLAY = { AMB: 'ambulatory', IMP: 'inpatient encounter', EMER: 'emergency' };

function encounterResource(patient: SandboxPatient, portal: SandboxUser): Encounter {
  return {
    resourceType: 'Encounter',
    id: patient.encounterId,
    meta: meta(),
    status: 'in-progress',
    class: {
      system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
      code: patient.encounterClass,
      display: ENCOUNTER_CLASS_DISPLAY[patient.encounterClass],
    },
    type: [{ text: patient.encounterType }],
    subject: { reference: `Patient/${patient.id}`, display: patientDisplayName(patient) },
    participant: [
      {
        type: [
          {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'ATND' }],
            text: 'Attending Physician',
          },
        ],
        individual: { reference: `Practitioner/${portal.practitionerId}`, display: portal.name },
      },
    ],
    period: { start: patient.encounterStart },
  };
}

function practitionerResource(user: SandboxUser): Practitioner {
  return {
    resourceType: 'Practitioner',
    id: user.practitionerId,
    meta: meta(),
    active: true,
    name: [{ use: 'usual', text: user.name, family: user.family, given: [user.given] }],
  };
}

const portalUser = USERS[0] as SandboxUser;

export const PATIENT_RESOURCES: readonly Patient[] = [
  ...PATIENTS.map(patientResource),
  {
    resourceType: 'Patient',
    id: MERGED_PATIENT_ID,
    meta: meta(),
    active: false,
    name: [{ use: 'official', text: 'SMART, Joe', family: 'SMART', given: ['Joe'] }],
    gender: 'male',
    birthDate: '1976-04-29',
    link: [{ other: { reference: `Patient/${MERGED_INTO_PATIENT_ID}` }, type: 'replaced-by' }],
  },
];

export const ENCOUNTER_RESOURCES: readonly Encounter[] = PATIENTS.map((patient) =>
  encounterResource(patient, portalUser),
);

export const PRACTITIONER_RESOURCES: readonly Practitioner[] = USERS.map(practitionerResource);
