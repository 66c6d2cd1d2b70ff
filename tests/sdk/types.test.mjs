// Exact round-trips of every field type through save -> fresh query/get.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, uid, newUser, newPatient, newEncounter, newNote, ensureSeedSchema, rest } from './helpers.mjs';

let clinician; // { user, token, username }

before(async () => {
  await ensureSeedSchema();
  clinician = await newUser({ displayName: 'Dr. Types' });
});

async function reload(obj, options = MK) {
  // A brand-new query, so nothing comes from the SDK's local object state.
  return new Parse.Query(obj.className).get(obj.id, options);
}

test('String, Date (ms precision), Array, Pointer<_User> on OpenPatient', async () => {
  const mrn = uid('MRN');
  const dob = new Date('2024-02-29T10:11:12.345Z');
  const p = new Parse.Object('OpenPatient');
  p.set({
    mrn,
    fullName: 'Zoë Ünïcode-Test 你好 🩺',
    dateOfBirth: dob,
    sexAtBirth: 'F',
    allergies: ['penicillin', 'latex', 'penicillin'],
    primaryClinician: clinician.user,
    status: 'active',
  });
  await p.save(null, MK);
  assert.match(p.id, /^[A-Za-z0-9]{10}$/, 'objectId is 10 alphanumerics');
  assert.ok(p.createdAt instanceof Date && p.updatedAt instanceof Date);
  assert.equal(p.createdAt.getTime(), p.updatedAt.getTime(), 'createdAt == updatedAt on create');

  const got = await reload(p);
  assert.equal(got.get('mrn'), mrn);
  assert.equal(got.get('fullName'), 'Zoë Ünïcode-Test 你好 🩺');
  assert.ok(got.get('dateOfBirth') instanceof Date);
  assert.equal(got.get('dateOfBirth').toISOString(), '2024-02-29T10:11:12.345Z');
  assert.equal(got.get('sexAtBirth'), 'F');
  assert.deepEqual(got.get('allergies'), ['penicillin', 'latex', 'penicillin'], 'array order and duplicates kept');
  const ptr = got.get('primaryClinician');
  assert.ok(ptr instanceof Parse.User, 'pointer to _User decodes as Parse.User');
  assert.equal(ptr.className, '_User');
  assert.equal(ptr.id, clinician.user.id);
  assert.equal(got.get('status'), 'active');
  assert.equal(got.createdAt.toISOString(), p.createdAt.toISOString());
});

test('Number: integers stay integers, floats stay floats; Boolean true/false', async () => {
  const patient = await newPatient();
  const enc = await newEncounter(patient);
  const n1 = await newNote(patient, enc, clinician.user, { currentVersionNumber: 3, requiresCosign: true });
  const n2 = await newNote(patient, enc, clinician.user, { currentVersionNumber: 2.5, requiresCosign: false });
  const n3 = await newNote(patient, enc, clinician.user, { currentVersionNumber: -7 });
  const n4 = await newNote(patient, enc, clinician.user, { currentVersionNumber: 0 });
  const n5 = await newNote(patient, enc, clinician.user, { currentVersionNumber: 9007199254740991 });

  const g1 = await reload(n1);
  assert.equal(g1.get('currentVersionNumber'), 3);
  assert.ok(Number.isInteger(g1.get('currentVersionNumber')));
  assert.equal(g1.get('requiresCosign'), true);
  const g2 = await reload(n2);
  assert.equal(g2.get('currentVersionNumber'), 2.5);
  assert.equal(g2.get('requiresCosign'), false, 'false is stored, not dropped');
  assert.equal((await reload(n3)).get('currentVersionNumber'), -7);
  assert.equal((await reload(n4)).get('currentVersionNumber'), 0);
  assert.equal((await reload(n5)).get('currentVersionNumber'), 9007199254740991);
  const g3 = await reload(n3);
  assert.equal(g3.has('requiresCosign'), false, 'never-set optional field is absent');
});

test('Pointers to OpenPatient / OpenEncounter / _User round-trip as unfetched pointers', async () => {
  const patient = await newPatient();
  const enc = await newEncounter(patient, { admittingClinician: clinician.user, department: 'ER' });
  const note = await newNote(patient, enc, clinician.user);
  const got = await reload(note);
  for (const [key, target] of [
    ['patient', patient],
    ['encounter', enc],
    ['author', clinician.user],
  ]) {
    const ptr = got.get(key);
    assert.ok(ptr instanceof Parse.Object, `${key} is a Parse.Object`);
    assert.equal(ptr.className, target.className);
    assert.equal(ptr.id, target.id);
  }
  // Not included -> only the pointer is there.
  assert.equal(got.get('patient').get('fullName'), undefined);
  assert.equal(got.get('patient').isDataAvailable(), false);
  // Raw wire shape of a pointer.
  const raw = await rest('GET', `/classes/OpenMedicalNote/${note.id}`);
  assert.equal(raw.status, 200);
  assert.deepEqual(raw.json.patient, { __type: 'Pointer', className: 'OpenPatient', objectId: patient.id });
  assert.deepEqual(raw.json.author, { __type: 'Pointer', className: '_User', objectId: clinician.user.id });
  const encRaw = await rest('GET', `/classes/OpenEncounter/${enc.id}`);
  assert.equal(encRaw.json.department, 'ER');
  assert.deepEqual(encRaw.json.startedAt, { __type: 'Date', iso: '2024-01-15T09:00:00.000Z' });
});

test('Array with nested objects, dates and pointers (OpenMessage.attachments)', async () => {
  const patientUser = await newUser();
  const profile = new Parse.Object('OpenPatientProfile');
  await profile.save(
    { user: patientUser.user, medicalRecordNumber: uid('MR'), displayName: 'Arr Ay', isActive: true },
    MK,
  );
  const msg = new Parse.Object('OpenMessage');
  const when = new Date('2023-06-01T00:00:00.001Z');
  const attachments = [
    { name: 'lab.pdf', sizeKb: 12, tags: ['lab', 'cbc'], meta: { pages: 2, scanned: false } },
    profile,
    'plain-string',
    42,
    1.5,
    true,
    null,
    when,
    [1, [2, 3]],
  ];
  msg.set({
    conversationId: uid('conv'),
    from: clinician.user,
    to: patientUser.user,
    patient: profile,
    body: 'Hello\nworld "quoted" \\ backslash',
    attachments,
    isRead: false,
    sentAt: when,
  });
  await msg.save(null, MK);
  const got = await reload(msg);
  const a = got.get('attachments');
  assert.equal(a.length, 9);
  assert.deepEqual(a[0], { name: 'lab.pdf', sizeKb: 12, tags: ['lab', 'cbc'], meta: { pages: 2, scanned: false } });
  assert.ok(a[1] instanceof Parse.Object);
  assert.equal(a[1].className, 'OpenPatientProfile');
  assert.equal(a[1].id, profile.id);
  assert.equal(a[2], 'plain-string');
  assert.equal(a[3], 42);
  assert.equal(a[4], 1.5);
  assert.equal(a[5], true);
  assert.equal(a[6], null);
  assert.ok(a[7] instanceof Date);
  assert.equal(a[7].toISOString(), '2023-06-01T00:00:00.001Z');
  assert.deepEqual(a[8], [1, [2, 3]]);
  assert.equal(got.get('body'), 'Hello\nworld "quoted" \\ backslash');
  assert.equal(got.get('isRead'), false);
  assert.equal(got.get('sentAt').toISOString(), '2023-06-01T00:00:00.001Z');
  // Raw wire shape of the pointer inside the array.
  const raw = await rest('GET', `/classes/OpenMessage/${msg.id}`, { master: true });
  assert.deepEqual(raw.json.attachments[1], { __type: 'Pointer', className: 'OpenPatientProfile', objectId: profile.id });
  assert.deepEqual(raw.json.attachments[7], { __type: 'Date', iso: '2023-06-01T00:00:00.001Z' });
});

test('Object (nested) on OpenAuditLog.metadata keeps structure and types', async () => {
  const patient = await newPatient();
  const metadata = {
    ip: '10.0.0.1',
    attempts: 3,
    ratio: 0.25,
    ok: true,
    nothing: null,
    nested: { deeper: { list: [1, 'two', { three: 3 }], empty: {} }, emptyList: [] },
    at: new Date('2020-01-01T00:00:00.000Z'),
    target: patient,
    'key with spaces': 'v',
  };
  const log = new Parse.Object('OpenAuditLog');
  await log.save(
    {
      actor: clinician.user,
      entityType: 'OpenPatient',
      entityId: patient.id,
      action: 'read',
      summary: 'opened chart',
      metadata,
    },
    MK,
  );
  const got = (await reload(log)).get('metadata');
  assert.equal(got.ip, '10.0.0.1');
  assert.equal(got.attempts, 3);
  assert.equal(got.ratio, 0.25);
  assert.equal(got.ok, true);
  assert.equal(got.nothing, null);
  assert.deepEqual(got.nested, { deeper: { list: [1, 'two', { three: 3 }], empty: {} }, emptyList: [] });
  assert.ok(got.at instanceof Date);
  assert.equal(got.at.toISOString(), '2020-01-01T00:00:00.000Z');
  assert.ok(got.target instanceof Parse.Object);
  assert.equal(got.target.id, patient.id);
  assert.equal(got['key with spaces'], 'v');
});

test('Querying into an Object field with dot notation', async () => {
  const tag = uid('dot');
  const log = new Parse.Object('OpenAuditLog');
  await log.save(
    {
      actor: clinician.user,
      entityType: 'OpenPatient',
      entityId: tag,
      action: 'update',
      summary: 's',
      metadata: { source: { app: tag, version: 7 } },
    },
    MK,
  );
  const found = await new Parse.Query('OpenAuditLog').equalTo('metadata.source.app', tag).find(MK);
  assert.deepEqual(
    found.map((o) => o.id),
    [log.id],
  );
  const byNum = await new Parse.Query('OpenAuditLog')
    .equalTo('entityId', tag)
    .greaterThan('metadata.source.version', 6)
    .find(MK);
  assert.equal(byNum.length, 1);
});

test('File value (already-uploaded shape) is stored by name on OpenAttachment.file', async () => {
  const patient = await newPatient();
  const name = `${uid('scan')}.pdf`;
  const file = Parse.File.fromJSON({ __type: 'File', name, url: `http://files.invalid/${name}` });
  const att = new Parse.Object('OpenAttachment');
  await att.save({ patient, file, category: 'imaging', uploadedBy: clinician.user }, MK);
  const got = await reload(att);
  const f = got.get('file');
  assert.ok(f instanceof Parse.File);
  assert.equal(f.name(), name);
  assert.equal(typeof f.url(), 'string', 'the server hands back a URL for the stored file name');
  assert.ok(new URL(f.url()).pathname.endsWith(`/${name}`), `url ${f.url()} names the file`);
  const raw = await rest('GET', `/classes/OpenAttachment/${att.id}`, { master: true });
  assert.equal(raw.json.file.__type, 'File');
  assert.equal(raw.json.file.name, name);
});

test('GeoPoint (field added by a client save) round-trips', async () => {
  // Geo *queries* are not covered: Parse Server on PostgreSQL needs PostGIS for
  // them ("type \"geometry\" does not exist" -> code 1 without it).
  const p = await newPatient({ homeLocation: new Parse.GeoPoint(52.5163, -13.3777) });
  const got = await reload(p);
  const gp = got.get('homeLocation');
  assert.ok(gp instanceof Parse.GeoPoint);
  assert.equal(gp.latitude, 52.5163);
  assert.equal(gp.longitude, -13.3777);
  const raw = await rest('GET', `/classes/OpenPatient/${p.id}`);
  assert.deepEqual(raw.json.homeLocation, { __type: 'GeoPoint', latitude: 52.5163, longitude: -13.3777 });
});

test('Bytes (field added by a client save) round-trips as its base64 JSON shape', async () => {
  // The JS SDK has no Bytes class: it sends and returns the raw {__type:"Bytes"} shape.
  const patient = await newPatient({ fingerprint: { __type: 'Bytes', base64: 'AAECAwQF/w==' } });
  const got = await reload(patient);
  assert.deepEqual(got.get('fingerprint'), { __type: 'Bytes', base64: 'AAECAwQF/w==' });
});

test('Relation: relation.add / remove / relation.query()', async () => {
  const patient = await newPatient();
  const enc = await newEncounter(patient);
  const notes = [];
  for (let i = 0; i < 3; i += 1) notes.push(await newNote(patient, enc, clinician.user, { title: `rel-${i}` }));
  const rel = patient.relation('relatedNotes');
  rel.add(notes);
  await patient.save(null, MK);

  let members = await patient.relation('relatedNotes').query().ascending('title').find(MK);
  assert.deepEqual(
    members.map((n) => n.get('title')),
    ['rel-0', 'rel-1', 'rel-2'],
  );
  // The relation itself is not returned as data, only as a Relation marker.
  const got = await reload(patient);
  const r = got.get('relatedNotes');
  assert.ok(r instanceof Parse.Relation);
  assert.equal(r.targetClassName, 'OpenMedicalNote');

  const rel2 = got.relation('relatedNotes');
  rel2.remove(notes[1]);
  await got.save(null, MK);
  members = await got.relation('relatedNotes').query().ascending('title').find(MK);
  assert.deepEqual(
    members.map((n) => n.get('title')),
    ['rel-0', 'rel-2'],
  );
  // Further constraints compose with the relation.
  const one = await got.relation('relatedNotes').query().equalTo('title', 'rel-2').find(MK);
  assert.deepEqual(
    one.map((n) => n.id),
    [notes[2].id],
  );
  // Raw shape of the relation field on GET.
  const raw = await rest('GET', `/classes/OpenPatient/${patient.id}`);
  assert.deepEqual(raw.json.relatedNotes, { __type: 'Relation', className: 'OpenMedicalNote' });
});

test('Relation to _User (care team) queried via relation.query() ($relatedTo)', async () => {
  const patient = await newPatient();
  const u1 = await newUser();
  const u2 = await newUser();
  patient.relation('careTeam').add([u1.user, u2.user]);
  await patient.save(null, MK);
  const team = await patient.relation('careTeam').query().find(MK);
  assert.deepEqual(team.map((u) => u.id).sort(), [u1.user.id, u2.user.id].sort());
  // Private users: a team member only sees themselves in the relation.
  const asU1 = await patient.relation('careTeam').query().find({ sessionToken: u1.token });
  assert.deepEqual(
    asU1.map((u) => u.id),
    [u1.user.id],
  );
});
