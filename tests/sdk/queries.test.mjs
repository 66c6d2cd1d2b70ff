// Query operators, ordering, paging, key selection, include, count/first/get.
//
// One fixture set per run, scoped by a unique tag:
//   OpenPatient.status == TAG for the 4 patients, OpenMedicalNote.noteType == TAG for the 5 notes,
//   OpenAuditEvent.eventType == TAG for the audit events.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, uid, newUser, newPatient, newEncounter, newNote, ensureSeedSchema, expectParseError, skipOnParsePostgres } from './helpers.mjs';

const TAG = uid('q');
let userA;
let userB;
const P = {}; // p1..p4
const N = {}; // n1..n5
let enc1;

const patients = () => new Parse.Query('OpenPatient').equalTo('status', TAG);
const notes = () => new Parse.Query('OpenMedicalNote').equalTo('noteType', TAG);
const names = (objs) => objs.map((o) => o.get('fullName')).sort();
const titles = (objs) => objs.map((o) => o.get('title'));
const sortedTitles = (objs) => titles(objs).sort();

before(async () => {
  await ensureSeedSchema();
  userA = await newUser({ displayName: 'Dr. A' });
  userB = await newUser({ displayName: 'Dr. B' });
  P.p1 = await newPatient({
    status: TAG, mrn: `${TAG}-1`, fullName: 'Alice Smith', sexAtBirth: 'F',
    dateOfBirth: new Date('1990-01-01T00:00:00.000Z'), allergies: ['peanut', 'latex'], primaryClinician: userA.user,
  });
  P.p2 = await newPatient({
    status: TAG, mrn: `${TAG}-2`, fullName: 'bob jones', sexAtBirth: 'M',
    dateOfBirth: new Date('1985-05-05T12:30:00.500Z'), allergies: ['latex'], primaryClinician: userB.user,
  });
  P.p3 = await newPatient({
    status: TAG, mrn: `${TAG}-3`, fullName: 'Carol Smith', sexAtBirth: 'F',
    dateOfBirth: new Date('2000-12-31T23:59:59.999Z'), allergies: [],
  });
  P.p4 = await newPatient({
    status: TAG, mrn: `${TAG}-4`, fullName: 'Dave Brown',
    dateOfBirth: new Date('1970-07-07T00:00:00.000Z'), allergies: ['peanut', 'shellfish', 'latex'],
  });
  enc1 = await newEncounter(P.p1);
  const enc2 = await newEncounter(P.p2);
  const enc3 = await newEncounter(P.p3);
  const enc4 = await newEncounter(P.p4);
  N.n1 = await newNote(P.p1, enc1, userA.user, { noteType: TAG, title: 'n1', currentVersionNumber: 1, status: 'draft', requiresCosign: true });
  N.n2 = await newNote(P.p1, enc1, userA.user, { noteType: TAG, title: 'n2', currentVersionNumber: 2, status: 'signed', requiresCosign: false });
  N.n3 = await newNote(P.p2, enc2, userA.user, { noteType: TAG, title: 'n3', currentVersionNumber: 3, status: 'signed' });
  N.n4 = await newNote(P.p3, enc3, userB.user, { noteType: TAG, title: 'n4', currentVersionNumber: 4, status: 'draft' });
  N.n5 = await newNote(P.p4, enc4, userB.user, { noteType: TAG, title: 'n5', currentVersionNumber: 5.5, status: 'amended' });
  // Audit events referencing p1 and p3 by MRN (for matchesKeyInQuery).
  for (const p of [P.p1, P.p3]) {
    const ev = new Parse.Object('OpenAuditEvent');
    await ev.save({ actor: userA.user, eventType: TAG, targetClass: 'OpenPatient', targetId: p.get('mrn'), timestamp: new Date() }, MK);
  }
});

test('equalTo / notEqualTo (missing values count as "not equal")', async () => {
  assert.deepEqual(names(await patients().equalTo('fullName', 'bob jones').find()), ['bob jones']);
  assert.deepEqual(names(await patients().equalTo('fullName', 'Bob Jones').find()), [], 'case-sensitive');
  assert.deepEqual(names(await patients().notEqualTo('sexAtBirth', 'F').find()), ['Dave Brown', 'bob jones']);
  assert.deepEqual(sortedTitles(await notes().equalTo('requiresCosign', true).find()), ['n1']);
  assert.deepEqual(sortedTitles(await notes().equalTo('requiresCosign', false).find()), ['n2']);
  assert.deepEqual(sortedTitles(await notes().notEqualTo('requiresCosign', true).find()), ['n2', 'n3', 'n4', 'n5']);
  assert.deepEqual(
    names(await patients().equalTo('dateOfBirth', new Date('1985-05-05T12:30:00.500Z')).find()),
    ['bob jones'],
    'Date equality at ms precision',
  );
});

test('lessThan / lessThanOrEqualTo / greaterThan / greaterThanOrEqualTo on Number and Date', async () => {
  assert.deepEqual(sortedTitles(await notes().lessThan('currentVersionNumber', 3).find()), ['n1', 'n2']);
  assert.deepEqual(sortedTitles(await notes().lessThanOrEqualTo('currentVersionNumber', 3).find()), ['n1', 'n2', 'n3']);
  assert.deepEqual(sortedTitles(await notes().greaterThan('currentVersionNumber', 4).find()), ['n5']);
  assert.deepEqual(sortedTitles(await notes().greaterThanOrEqualTo('currentVersionNumber', 4).find()), ['n4', 'n5']);
  assert.deepEqual(
    sortedTitles(await notes().greaterThan('currentVersionNumber', 1.5).lessThan('currentVersionNumber', 5.5).find()),
    ['n2', 'n3', 'n4'],
    'range on one key',
  );
  assert.deepEqual(
    names(await patients().lessThan('dateOfBirth', new Date('1990-01-01T00:00:00.000Z')).find()),
    ['Dave Brown', 'bob jones'],
  );
  assert.deepEqual(
    names(await patients().lessThanOrEqualTo('dateOfBirth', new Date('1990-01-01T00:00:00.000Z')).find()),
    ['Alice Smith', 'Dave Brown', 'bob jones'],
  );
  assert.deepEqual(
    names(await patients().greaterThan('dateOfBirth', new Date('2000-12-31T23:59:59.998Z')).find()),
    ['Carol Smith'],
  );
  assert.deepEqual(
    names(await patients().greaterThanOrEqualTo('dateOfBirth', new Date('2000-12-31T23:59:59.999Z')).find()),
    ['Carol Smith'],
  );
  assert.deepEqual(names(await patients().greaterThan('mrn', `${TAG}-2`).find()), ['Carol Smith', 'Dave Brown'], 'string comparison');
});

test('containedIn / notContainedIn on scalars, pointers and arrays', async () => {
  assert.deepEqual(names(await patients().containedIn('fullName', ['Alice Smith', 'Dave Brown', 'nobody']).find()), ['Alice Smith', 'Dave Brown']);
  assert.deepEqual(names(await patients().notContainedIn('fullName', ['Alice Smith', 'Dave Brown']).find()), ['Carol Smith', 'bob jones']);
  assert.deepEqual(sortedTitles(await notes().containedIn('patient', [P.p1, P.p2]).find()), ['n1', 'n2', 'n3']);
  assert.deepEqual(sortedTitles(await notes().notContainedIn('patient', [P.p1, P.p2]).find()), ['n4', 'n5']);
  assert.deepEqual(names(await patients().containedIn('allergies', ['shellfish', 'nothing']).find()), ['Dave Brown'], 'array field: any element');
  assert.deepEqual(names(await patients().notContainedIn('allergies', ['latex']).find()), ['Carol Smith']);
  assert.deepEqual(sortedTitles(await notes().containedIn('currentVersionNumber', [2, 5.5]).find()), ['n2', 'n5']);
});

test('exists / doesNotExist', async () => {
  assert.deepEqual(names(await patients().exists('sexAtBirth').find()), ['Alice Smith', 'Carol Smith', 'bob jones']);
  assert.deepEqual(names(await patients().doesNotExist('sexAtBirth').find()), ['Dave Brown']);
  assert.deepEqual(names(await patients().exists('primaryClinician').find()), ['Alice Smith', 'bob jones']);
  assert.deepEqual(names(await patients().doesNotExist('primaryClinician').find()), ['Carol Smith', 'Dave Brown']);
  assert.deepEqual(sortedTitles(await notes().doesNotExist('requiresCosign').find()), ['n3', 'n4', 'n5']);
});

test(
  'Array field: equalTo(arrayKey, string) matches arrays containing the string',
  skipOnParsePostgres('equalTo(arrayKey, "latex") -> {"code":1,"error":"An internal server error occurred"} (invalid input syntax for type json)'),
  async () => {
    assert.deepEqual(names(await patients().equalTo('allergies', 'latex').find()), ['Alice Smith', 'Dave Brown', 'bob jones']);
    assert.deepEqual(names(await patients().equalTo('allergies', 'peanut').find()), ['Alice Smith', 'Dave Brown']);
    assert.deepEqual(names(await patients().equalTo('allergies', 'none').find()), []);
  },
);

test('Array field: containsAll, containedBy', async () => {
  assert.deepEqual(names(await patients().containsAll('allergies', ['latex', 'peanut']).find()), ['Alice Smith', 'Dave Brown']);
  assert.deepEqual(names(await patients().containsAll('allergies', ['shellfish', 'peanut', 'latex']).find()), ['Dave Brown']);
  assert.deepEqual(
    names(await patients().containedBy('allergies', ['peanut', 'latex']).find()),
    ['Alice Smith', 'Carol Smith', 'bob jones'],
    'every element within the list (empty array included)',
  );
});

test('matches (regex, with "i"), startsWith, endsWith', async () => {
  assert.deepEqual(names(await patients().matches('fullName', /smith$/i).find()), ['Alice Smith', 'Carol Smith']);
  assert.deepEqual(names(await patients().matches('fullName', /smith$/).find()), [], 'case-sensitive without i');
  assert.deepEqual(names(await patients().matches('fullName', 'SMITH', 'i').find()), ['Alice Smith', 'Carol Smith']);
  assert.deepEqual(names(await patients().matches('fullName', '^b.b\\s').find()), ['bob jones']);
  assert.deepEqual(names(await patients().startsWith('fullName', 'Carol').find()), ['Carol Smith']);
  assert.deepEqual(names(await patients().startsWith('fullName', 'carol').find()), [], 'startsWith is case-sensitive');
  assert.deepEqual(names(await patients().startsWith('mrn', `${TAG}-`).find()).length, 4, 'prefix with regex-special chars is literal');
  assert.deepEqual(names(await patients().endsWith('fullName', 'Brown').find()), ['Dave Brown']);
});

test('Parse.Query.or / and / nor', async () => {
  const or = Parse.Query.or(patients().equalTo('fullName', 'Alice Smith'), patients().equalTo('sexAtBirth', 'M'));
  assert.deepEqual(names(await or.find()), ['Alice Smith', 'bob jones']);
  const and = Parse.Query.and(patients().equalTo('sexAtBirth', 'F'), patients().matches('fullName', '^C'));
  assert.deepEqual(names(await and.find()), ['Carol Smith']);
  const nor = Parse.Query.nor(patients().equalTo('fullName', 'Alice Smith'), patients().equalTo('fullName', 'bob jones'));
  nor.equalTo('status', TAG);
  assert.deepEqual(names(await nor.find()), ['Carol Smith', 'Dave Brown']);
  // or combined with further top-level constraints
  const orPlus = Parse.Query.or(
    new Parse.Query('OpenMedicalNote').equalTo('status', 'draft'),
    new Parse.Query('OpenMedicalNote').equalTo('status', 'amended'),
  ).equalTo('noteType', TAG).greaterThan('currentVersionNumber', 1);
  assert.deepEqual(sortedTitles(await orPlus.find()), ['n4', 'n5']);
});

test(
  'nor: an object whose field is missing does not match equalTo, so nor keeps it',
  skipOnParsePostgres('$nor over a missing field evaluates SQL NULL and drops the row'),
  async () => {
    const nor = Parse.Query.nor(patients().equalTo('sexAtBirth', 'F'), patients().equalTo('fullName', 'bob jones'));
    nor.equalTo('status', TAG);
    assert.deepEqual(names(await nor.find()), ['Dave Brown']);
  },
);

test('matchesQuery / doesNotMatchQuery on a pointer', async () => {
  const women = patients().equalTo('sexAtBirth', 'F');
  assert.deepEqual(sortedTitles(await notes().matchesQuery('patient', women).find()), ['n1', 'n2', 'n4']);
  assert.deepEqual(sortedTitles(await notes().doesNotMatchQuery('patient', patients().equalTo('sexAtBirth', 'F')).find()), ['n3', 'n5']);
  // nested: notes whose encounter's patient is a woman
  const encs = new Parse.Query('OpenEncounter').matchesQuery('patient', patients().equalTo('sexAtBirth', 'F'));
  assert.deepEqual(sortedTitles(await notes().matchesQuery('encounter', encs).find()), ['n1', 'n2', 'n4']);
});

test('matchesKeyInQuery / doesNotMatchKeyInQuery', async () => {
  const events = new Parse.Query('OpenAuditEvent').equalTo('eventType', TAG);
  assert.deepEqual(names(await patients().matchesKeyInQuery('mrn', 'targetId', events).find()), ['Alice Smith', 'Carol Smith']);
  const events2 = new Parse.Query('OpenAuditEvent').equalTo('eventType', TAG);
  assert.deepEqual(names(await patients().doesNotMatchKeyInQuery('mrn', 'targetId', events2).find()), ['Dave Brown', 'bob jones']);
});

test('pointer equality: equalTo / notEqualTo with objects and createWithoutData', async () => {
  assert.deepEqual(sortedTitles(await notes().equalTo('patient', P.p1).find()), ['n1', 'n2']);
  assert.deepEqual(sortedTitles(await notes().equalTo('author', userB.user).find()), ['n4', 'n5']);
  const ptr = Parse.Object.extend('OpenPatient').createWithoutData(P.p2.id);
  assert.deepEqual(sortedTitles(await notes().equalTo('patient', ptr).find()), ['n3']);
  assert.deepEqual(sortedTitles(await notes().notEqualTo('author', userA.user).find()), ['n4', 'n5']);
  assert.deepEqual(names(await patients().equalTo('primaryClinician', userA.user).find()), ['Alice Smith']);
  assert.deepEqual(sortedTitles(await notes().equalTo('encounter', enc1).equalTo('author', userA.user).find()), ['n1', 'n2']);
});

test('relatedTo via relation.query() combined with constraints', async () => {
  const owner = P.p4;
  owner.relation('watchedNotes').add([N.n1, N.n3, N.n5]);
  await owner.save(null, MK);
  const rq = owner.relation('watchedNotes').query();
  assert.deepEqual(sortedTitles(await rq.find()), ['n1', 'n3', 'n5']);
  assert.deepEqual(sortedTitles(await owner.relation('watchedNotes').query().greaterThan('currentVersionNumber', 2).find()), ['n3', 'n5']);
  assert.equal(await owner.relation('watchedNotes').query().count(), 3);
});

test('ascending / descending, multi-key ordering', async () => {
  assert.deepEqual(titles(await notes().ascending('currentVersionNumber').find()), ['n1', 'n2', 'n3', 'n4', 'n5']);
  assert.deepEqual(titles(await notes().descending('currentVersionNumber').find()), ['n5', 'n4', 'n3', 'n2', 'n1']);
  assert.deepEqual(
    titles(await notes().ascending('status').addDescending('currentVersionNumber').find()),
    ['n5', 'n4', 'n1', 'n3', 'n2'],
  );
  assert.deepEqual(
    titles(await notes().descending('status').addAscending('title').find()),
    ['n2', 'n3', 'n1', 'n4', 'n5'],
  );
  assert.deepEqual(
    titles(await notes().ascending('status,currentVersionNumber').find()),
    ['n5', 'n1', 'n4', 'n2', 'n3'],
    'comma-separated keys',
  );
  assert.deepEqual(
    (await patients().descending('dateOfBirth').find()).map((p) => p.get('fullName')),
    ['Carol Smith', 'Alice Smith', 'bob jones', 'Dave Brown'],
  );
  assert.deepEqual(titles(await notes().ascending('createdAt').find()), ['n1', 'n2', 'n3', 'n4', 'n5']);
});

test('limit / skip paging', async () => {
  const q = () => notes().ascending('currentVersionNumber');
  assert.deepEqual(titles(await q().limit(2).find()), ['n1', 'n2']);
  assert.deepEqual(titles(await q().skip(1).limit(2).find()), ['n2', 'n3']);
  assert.deepEqual(titles(await q().skip(4).limit(10).find()), ['n5']);
  assert.deepEqual(titles(await q().skip(5).find()), []);
  assert.deepEqual(titles(await q().limit(0).find()), []);
});

test('select (keys) and exclude', async () => {
  const [sel] = await notes().equalTo('title', 'n1').select('title', 'currentVersionNumber').find();
  assert.equal(sel.id, N.n1.id);
  assert.equal(sel.get('title'), 'n1');
  assert.equal(sel.get('currentVersionNumber'), 1);
  assert.equal(sel.has('status'), false);
  assert.equal(sel.has('patient'), false);
  assert.ok(sel.createdAt instanceof Date, 'createdAt always returned');
  assert.ok(sel.updatedAt instanceof Date, 'updatedAt always returned');

  const [exc] = await notes().equalTo('title', 'n1').exclude('title', 'patient').find();
  assert.equal(exc.has('title'), false);
  assert.equal(exc.has('patient'), false);
  assert.equal(exc.get('status'), 'draft');
  assert.equal(exc.get('currentVersionNumber'), 1);

  const got = await new Parse.Query('OpenMedicalNote').select('status').get(N.n2.id);
  assert.equal(got.get('status'), 'signed');
  assert.equal(got.has('title'), false);
});

test('include pointers (one level, nested "a.b", and multiple)', async () => {
  const [n] = await notes().equalTo('title', 'n1').include('patient').find();
  assert.equal(n.get('patient').get('fullName'), 'Alice Smith');
  assert.equal(n.get('patient').get('dateOfBirth').toISOString(), '1990-01-01T00:00:00.000Z');

  const [n3] = await notes().equalTo('title', 'n3').include(['patient', 'encounter']).find();
  assert.equal(n3.get('patient').get('fullName'), 'bob jones');
  assert.equal(n3.get('encounter').get('type'), 'outpatient');
  assert.equal(n3.get('encounter').get('patient').id, P.p2.id);

  // OpenSignature -> medicalNote -> patient
  const version = new Parse.Object('OpenNoteVersion');
  await version.save({ medicalNote: N.n1, versionNumber: 1, editor: userA.user, subjective: 'S' }, MK);
  const sig = new Parse.Object('OpenSignature');
  await sig.save({ medicalNote: N.n1, noteVersion: version, signer: userA.user, signatureRole: 'attending', status: 'pending' }, MK);
  const [s] = await new Parse.Query('OpenSignature')
    .equalTo('objectId', sig.id)
    .include('medicalNote.patient')
    .include('noteVersion')
    .find();
  assert.equal(s.get('medicalNote').get('title'), 'n1', 'intermediate object is included too');
  assert.equal(s.get('medicalNote').get('patient').get('fullName'), 'Alice Smith');
  assert.equal(s.get('medicalNote').get('patient').get('mrn'), `${TAG}-1`);
  assert.equal(s.get('noteVersion').get('subjective'), 'S');
  // Not included: still a bare pointer
  assert.equal(s.get('medicalNote').get('encounter').isDataAvailable(), false);

  // include on get()
  const g = await new Parse.Query('OpenSignature').include('medicalNote.encounter').get(sig.id);
  assert.equal(g.get('medicalNote').get('encounter').id, enc1.id);
  assert.equal(g.get('medicalNote').get('encounter').get('status'), 'open');
});

test('include of a _User pointer respects the user ACL (private users)', async () => {
  // As a stranger, the author pointer cannot be resolved into user data.
  const stranger = await newUser();
  // Parse drops the key entirely when an included pointer's target is unreadable.
  const [asStranger] = await notes().equalTo('title', 'n1').include('author').find({ sessionToken: stranger.token });
  assert.equal(asStranger.get('title'), 'n1');
  assert.equal(asStranger.has('author'), false, 'unreadable included pointer is removed from the result');
  // Without include the bare pointer is returned.
  const [bare] = await notes().equalTo('title', 'n1').find({ sessionToken: stranger.token });
  assert.equal(bare.get('author').id, userA.user.id);
  // As the author herself, it is resolved.
  const [asAuthor] = await notes().equalTo('title', 'n1').include('author').find({ sessionToken: userA.token });
  assert.equal(asAuthor.get('author').get('displayName'), 'Dr. A');
  // With the master key, too.
  const [asMaster] = await notes().equalTo('title', 'n1').include('author').find(MK);
  assert.equal(asMaster.get('author').get('displayName'), 'Dr. A');
});

test('count, first, get, get-not-found -> 101', async () => {
  assert.equal(await patients().count(), 4);
  assert.equal(await notes().greaterThan('currentVersionNumber', 2).count(), 3);
  assert.equal(await notes().limit(1).count(), 5, 'count ignores limit');
  assert.equal(await notes().equalTo('title', 'nope').count(), 0);

  const first = await notes().descending('currentVersionNumber').first();
  assert.equal(first.get('title'), 'n5');
  assert.equal(await notes().equalTo('title', 'nope').first(), undefined);

  const got = await new Parse.Query('OpenPatient').get(P.p3.id);
  assert.equal(got.get('fullName'), 'Carol Smith');
  const err = await expectParseError(new Parse.Query('OpenPatient').get('doesNotExist'), 101);
  assert.equal(err.message, 'Object not found.');
  // get() also applies the query's constraints
  await expectParseError(new Parse.Query('OpenPatient').equalTo('status', 'other').get(P.p3.id), 101);
});

test('find with withCount returns results and total', async () => {
  const res = await notes().ascending('currentVersionNumber').limit(2).withCount().find();
  assert.equal(res.count, 5);
  assert.deepEqual(titles(res.results), ['n1', 'n2']);
});

test('query on objectId and createdAt', async () => {
  assert.deepEqual(names(await patients().equalTo('objectId', P.p2.id).find()), ['bob jones']);
  assert.deepEqual(names(await patients().containedIn('objectId', [P.p1.id, P.p4.id]).find()), ['Alice Smith', 'Dave Brown']);
  const after = await patients().greaterThanOrEqualTo('createdAt', P.p3.createdAt).find();
  assert.ok(names(after).includes('Carol Smith'));
  assert.ok(!names(after).includes('Alice Smith'));
});
