// The JS SDK and FHIR R4 over the same records (issue 19): what a template app writes with the
// official SDK reads back through /fhir/R4 (the session token as a Bearer token) mapped exactly as
// docs/fhir.md says; what a FHIR client writes is seen through Parse.Query and as a LiveQuery
// `create` event on a subscription opened before the write; a clinician outside the care team gets
// none of it through FHIR. (Chartkeep only: the reference Parse Server has no FHIR API.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, uid, ensureSeedSchema, PASSWORD, APP_ID, SERVER_URL, ON_PARSE_POSTGRES, staff } from './helpers.mjs';

const skip = ON_PARSE_POSTGRES ? { skip: 'Chartkeep FHIR API (not a Parse behaviour)' } : {};
const FHIR = `${new URL(SERVER_URL).origin}/fhir/R4`;
const WS_URL = SERVER_URL.replace(/^http/, 'ws');
const BIRTHSEX = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex';
const MR_TYPE = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR', display: 'Medical record number' }] };
const clients = [];

before(async () => { await ensureSeedSchema(); });
after(async () => { for (const c of clients) await c.close(); });

/** A FHIR request with the session token as a Bearer token: {status, body}. */
async function fhir(method, path, token, resource) {
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/fhir+json' };
  if (resource) headers['Content-Type'] = 'application/fhir+json';
  const r = await fetch(FHIR + path, { method, headers, body: resource ? JSON.stringify(resource) : undefined });
  assert.match(r.headers.get('content-type'), /^application\/fhir\+json/);
  return { status: r.status, body: await r.json() };
}

async function read(path, token) {
  const r = await fhir('GET', path, token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function notFound(path, token) {
  const r = await fhir('GET', path, token);
  assert.equal(r.status, 404, JSON.stringify(r.body));
  assert.equal(r.body.resourceType, 'OperationOutcome');
  assert.equal(r.body.issue[0].code, 'not-found');
}

async function emptySearch(path, token) {
  const bundle = await read(path, token);
  assert.equal(bundle.resourceType, 'Bundle');
  assert.equal(bundle.total, 0);
  assert.deepEqual(bundle.entry ?? [], []);
}

/** meta as the server derives it from a Parse object: lastUpdated = updatedAt, versionId its milliseconds. */
function meta(object) {
  return { lastUpdated: object.updatedAt.toISOString(), versionId: String(object.updatedAt.getTime()) };
}

async function patientUser() {
  const user = new Parse.User();
  await user.signUp({ username: uid('pat'), password: PASSWORD, role: 'patient' });
  return { user, id: user.id, opts: { sessionToken: user.getSessionToken() } };
}

/** A behavioral-health patient (portal account + profile) whose care team is `members`, as the template's admin app makes it. */
async function profileFor(members) {
  const patient = await patientUser();
  const profile = new Parse.Object('PatientProfile');
  await profile.save({ user: patient.user, medicalRecordNumber: uid('BH'), displayName: 'Pat Example', isActive: true }, MK);
  for (const m of members) await new Parse.Object('CareTeamMember').save({ patientProfile: profile, user: m.user }, MK);
  return { patient, profile };
}

/** `create` events a LiveQuery client reading as `token` hears on `query`, subscribed now. */
async function creates(token, query) {
  const client = new Parse.LiveQueryClient({ applicationId: APP_ID, serverURL: WS_URL, sessionToken: token });
  clients.push(client);
  client.open();
  const sub = client.subscribe(query);
  await sub.subscribePromise;
  const heard = [];
  sub.on('create', (object) => heard.push(object));
  return heard;
}

async function waitFor(events, count, ms = 5000) {
  const end = Date.now() + ms;
  while (events.length < count && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.equal(events.length, count, `expected ${count} create events, got ${events.length}`);
}

test('a Patient, an Encounter and a message written with the SDK read back through FHIR exactly; an outsider reads none', skip, async () => {
  const doc = await staff('physician');
  const provider = await staff('provider');
  const outsider = await staff('physician');

  const mrn = uid('MRN');
  const patient = new Parse.Object('Patient');
  await patient.save({ mrn, fullName: 'Grace Brewster Hopper', dateOfBirth: new Date('1906-12-09T00:00:00.000Z'),
    sexAtBirth: 'F', status: 'active', primaryClinician: doc.user }, doc.opts);
  const encounterNumber = uid('ENC');
  const encounter = new Parse.Object('Encounter');
  await encounter.save({ patient, encounterNumber, type: 'inpatient', department: 'Cardiology', admittingClinician: doc.user,
    startedAt: new Date('2026-11-02T08:30:00.000Z'), endedAt: new Date('2026-11-03T10:15:00.000Z'), status: 'closed' },
  doc.opts);
  const { patient: account, profile } = await profileFor([provider]);
  const conversationId = uid('conv');
  const message = new Parse.Object('Message');
  await message.save({ conversationId, from: account.user, to: provider.user, patient: profile,
    body: 'Could we move my session to Thursday?', isRead: false }, account.opts);
  // what the server stored (its rules set status, sentAt, the ACLs) as the writers see it now
  await patient.fetch(doc.opts);
  await encounter.fetch(doc.opts);
  await message.fetch(provider.opts);

  assert.deepEqual(await read(`/Patient/${patient.id}`, doc.token), {
    resourceType: 'Patient',
    id: patient.id,
    meta: meta(patient),
    extension: [{ url: BIRTHSEX, valueCode: 'F' }],
    identifier: [{ use: 'usual', type: MR_TYPE, system: 'urn:chartkeep:mrn:ehr', value: mrn }],
    active: true,
    name: [{ use: 'official', text: 'Grace Brewster Hopper', family: 'Hopper', given: ['Grace', 'Brewster'] }],
    gender: 'female',
    birthDate: '1906-12-09',
    generalPractitioner: [{ reference: `Practitioner/${doc.id}` }],
  });

  const encounters = await read(`/Encounter?patient=Patient/${patient.id}`, doc.token);
  assert.equal(encounters.total, 1);
  assert.deepEqual(encounters.entry[0].resource, {
    resourceType: 'Encounter',
    id: encounter.id,
    meta: meta(encounter),
    identifier: [{ system: 'urn:chartkeep:encounter', value: encounterNumber }],
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
    type: [{ text: 'inpatient' }],
    subject: { reference: `Patient/${patient.id}` },
    participant: [{ individual: { reference: `Practitioner/${doc.id}` } }],
    period: { start: '2026-11-02T08:30:00.000Z', end: '2026-11-03T10:15:00.000Z' },
    serviceType: { text: 'Cardiology' },
  });

  assert.ok(message.get('sentAt') instanceof Date);
  assert.deepEqual(await read(`/Communication/${message.id}`, provider.token), {
    resourceType: 'Communication',
    id: message.id,
    meta: meta(message),
    identifier: [{ system: 'urn:chartkeep:conversation', value: conversationId }],
    status: 'completed',
    statusReason: { coding: [{ system: 'urn:chartkeep:message-receipt', code: 'sent' }], text: 'sent' },
    subject: { reference: `Patient/bh-${profile.id}` },
    sent: message.get('sentAt').toISOString(),
    sender: { reference: `Patient/bh-${profile.id}` },
    recipient: [{ reference: `Practitioner/${provider.id}` }],
    payload: [{ contentString: 'Could we move my session to Thursday?' }],
  });
  // the patient's own profile, as the care team reads it
  const bh = await read(`/Patient/bh-${profile.id}`, provider.token);
  assert.equal(bh.identifier[0].value, profile.get('medicalRecordNumber'));
  assert.deepEqual(bh.name, [{ use: 'official', text: 'Pat Example', family: 'Example', given: ['Pat'] }]);

  // a physician outside both care teams: nothing through any of these interactions
  await notFound(`/Patient/${patient.id}`, outsider.token);
  await notFound(`/Encounter/${encounter.id}`, outsider.token);
  await notFound(`/Communication/${message.id}`, outsider.token);
  await notFound(`/Patient/bh-${profile.id}`, outsider.token);
  await emptySearch(`/Encounter?patient=Patient/${patient.id}`, outsider.token);
  await emptySearch(`/Patient?identifier=urn:chartkeep:mrn:ehr|${mrn}`, outsider.token);
  await emptySearch(`/Communication?patient=Patient/bh-${profile.id}`, outsider.token);
});

test('a Patient and an Appointment created through FHIR are seen by Parse.Query and as LiveQuery create events', skip, async () => {
  const doc = await staff('physician');
  const provider = await staff('provider');
  const outsider = await staff('physician');
  const { profile } = await profileFor([provider]);
  const mrn = uid('MRN');
  const patientsHeard = await creates(doc.token, new Parse.Query('Patient').equalTo('mrn', mrn));
  const appointmentsHeard = await creates(provider.token, new Parse.Query('Appointment').equalTo('patient', profile));
  const outsiderHeard = await creates(outsider.token, new Parse.Query('Patient').equalTo('mrn', mrn));

  const made = await fhir('POST', '/Patient', doc.token, {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:chartkeep:mrn:ehr', value: mrn }],
    name: [{ given: ['Alan', 'Mathison'], family: 'Turing' }],
    gender: 'male',
    birthDate: '1912-06-23',
    active: true,
    generalPractitioner: [{ reference: `Practitioner/${doc.id}` }],
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const id = made.body.id;
  const stored = await new Parse.Query('Patient').get(id, doc.opts);
  assert.equal(stored.get('mrn'), mrn);
  assert.equal(stored.get('fullName'), 'Alan Mathison Turing');
  assert.equal(stored.get('sexAtBirth'), 'male');
  assert.equal(stored.get('status'), 'active');
  assert.equal(stored.get('dateOfBirth').toISOString(), '1912-06-23T00:00:00.000Z');
  assert.equal(stored.get('primaryClinician').id, doc.id);
  assert.deepEqual(made.body.meta, meta(stored));
  await waitFor(patientsHeard, 1);
  assert.equal(patientsHeard[0].id, id);
  assert.equal(patientsHeard[0].get('fullName'), 'Alan Mathison Turing');
  assert.equal(patientsHeard[0].get('mrn'), mrn);

  const booked = await fhir('POST', '/Appointment', provider.token, {
    resourceType: 'Appointment',
    status: 'booked',
    description: 'Follow-up session',
    start: '2031-03-04T15:00:00.000Z',
    end: '2031-03-04T15:50:00.000Z',
    participant: [
      { actor: { reference: `Patient/bh-${profile.id}` }, status: 'needs-action' },
      { actor: { reference: `Practitioner/${provider.id}` }, status: 'accepted' },
    ],
  });
  assert.equal(booked.status, 201, JSON.stringify(booked.body));
  const appointment = await new Parse.Query('Appointment').get(booked.body.id, provider.opts);
  assert.equal(appointment.get('status'), 'scheduled');
  assert.equal(appointment.get('reason'), 'Follow-up session');
  assert.equal(appointment.get('startAt').toISOString(), '2031-03-04T15:00:00.000Z');
  assert.equal(appointment.get('endAt').toISOString(), '2031-03-04T15:50:00.000Z');
  assert.equal(appointment.get('patient').id, profile.id);
  assert.equal(appointment.get('provider').id, provider.id);
  await waitFor(appointmentsHeard, 1);
  assert.equal(appointmentsHeard[0].id, booked.body.id);
  assert.equal(appointmentsHeard[0].get('startAt').toISOString(), '2031-03-04T15:00:00.000Z');
  assert.equal(appointmentsHeard[0].get('status'), 'scheduled');
  assert.equal((await read(`/Appointment/${booked.body.id}`, provider.token)).status, 'booked');

  // outside the care teams: no FHIR read or search finds either, and no LiveQuery event arrived
  await notFound(`/Patient/${id}`, outsider.token);
  await notFound(`/Appointment/${booked.body.id}`, outsider.token);
  await emptySearch(`/Patient?identifier=urn:chartkeep:mrn:ehr|${mrn}`, outsider.token);
  await emptySearch(`/Appointment?patient=Patient/bh-${profile.id}`, outsider.token);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(outsiderHeard.length, 0);
});
