// The note workflow through the official SDK: the Cloud functions (Parse.Cloud.run) and the same
// rules on direct object saves, as a Back4app-template app makes them. Chartkeep only.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, uid, rest, ensureSeedSchema, expectParseError, PASSWORD, ON_PARSE_POSTGRES, staff } from './helpers.mjs';

const skip = ON_PARSE_POSTGRES ? { skip: 'Chartkeep clinical workflow (not a Parse behaviour)' } : {};

before(async () => { await ensureSeedSchema(); });

/** A physician's patient with an encounter, and a nurse on the care team. */
async function clinic() {
  const doc = await staff('physician');
  const nurse = await staff('nurse');
  const patient = new Parse.Object('Patient');
  await patient.save({ mrn: uid('MRN'), fullName: 'Ada Lovelace', dateOfBirth: new Date('1985-12-10T00:00:00.000Z'),
    status: 'active', primaryClinician: doc.user }, doc.opts);
  const encounter = new Parse.Object('Encounter');
  await encounter.save({ patient, encounterNumber: uid('E'), type: 'outpatient', startedAt: new Date(), status: 'open' }, doc.opts);
  await new Parse.Object('CareTeamMember').save({ patient, user: nurse.user, reason: 'clinic nurse' }, doc.opts);
  return { doc, nurse, patient, encounter };
}

const SOAP = { subjective: 'Headache for 3 days', objective: 'BP 128/82', assessment: 'Tension headache', plan: 'Hydration' };

test('Cloud functions: draft, co-signature, amendment, and the chart in one call', skip, async () => {
  const { doc, nurse, patient, encounter } = await clinic();
  const first = await Parse.Cloud.run('saveNoteDraft', { patient: patient.toPointer(), encounter: encounter.toPointer(), title: 'Progress note', noteType: 'progress',
    requiresCosign: true, ...SOAP }, nurse.opts);
  assert.ok(first.note instanceof Parse.Object);
  assert.equal(first.note.className, 'MedicalNote');
  assert.equal(first.note.get('status'), 'draft');
  assert.equal(first.version.get('versionNumber'), 1);
  const note = first.note.toPointer();  // Parse.Cloud.run takes pointers, not objects

  const saves = await Promise.all([1, 2, 3, 4].map((i) =>
    Parse.Cloud.run('saveNoteDraft', { note, plan: `edit ${i}` }, nurse.opts)));
  assert.deepEqual(saves.map((s) => s.version.get('versionNumber')).sort(), [2, 3, 4, 5]);

  const req = await Parse.Cloud.run('requestSignatures', { note, signers: [
    { signer: nurse.user.toPointer(), role: 'author' }, { signer: doc.user.toPointer(), role: 'attending' }] }, nurse.opts);
  assert.equal(req.note.get('status'), 'under_review');
  await expectParseError(Parse.Cloud.run('saveNoteDraft', { note, plan: 'late edit' }, nurse.opts), 142, 'under_review');
  await expectParseError(Parse.Cloud.run('signNote', { signature: req.signatures[1].id }, nurse.opts), 101);

  const mine = await Parse.Cloud.run('signNote', { note }, nurse.opts);
  assert.equal(mine.note.get('status'), 'under_review');
  const cosigned = await Parse.Cloud.run('signNote', { note }, doc.opts);
  assert.equal(cosigned.note.get('status'), 'signed');
  const sig = cosigned.signature;
  assert.ok(sig.get('signedAt') instanceof Date);
  assert.match(sig.get('contentHash'), /^[0-9a-f]{64}$/);
  assert.equal(sig.get('printedName'), doc.user.get('displayName'));

  await expectParseError(Parse.Cloud.run('amendNote', { note, plan: 'x' }, nurse.opts), 142, 'amendmentReason is required');
  const amended = await Parse.Cloud.run('amendNote', { note, amendmentReason: 'Dose corrected', plan: 'Ibuprofen 400 mg' }, nurse.opts);
  assert.equal(amended.note.get('status'), 'amended');
  assert.equal(amended.version.get('versionNumber'), 6);
  const v5 = saves.find((s) => s.version.get('versionNumber') === 5).version;
  assert.equal(amended.version.get('previousVersion').id, v5.id);

  const chart = await Parse.Cloud.run('patientChart', { patient: patient.id }, nurse.opts);
  assert.ok(chart.patient instanceof Parse.Object);
  assert.equal(chart.patient.id, patient.id);
  assert.deepEqual(chart.encounters.map((e) => e.id), [encounter.id]);
  const [entry] = chart.notes;
  assert.equal(entry.note.id, note.objectId);
  assert.equal(entry.currentVersion.get('plan'), 'Ibuprofen 400 mg');
  assert.equal(entry.signatures.length, 2);
  const outsider = await staff('physician');
  await expectParseError(Parse.Cloud.run('patientChart', { patient: patient.id }, outsider.opts), 101);
  assert.deepEqual(await Parse.Cloud.run('verifyNoteSignatures', { note }, doc.opts), { checked: 2, mismatches: [] });
});

test('direct saves follow the same rules (the Back4app template flow)', skip, async () => {
  const { doc, nurse, patient, encounter } = await clinic();
  await expectParseError(new Parse.Object('MedicalNote').save({ patient, encounter, author: nurse.user, title: 'T',
    noteType: 'progress', currentVersionNumber: 1, status: 'signed' }, nurse.opts), 142, 'created as a draft');

  const note = new Parse.Object('MedicalNote');
  await note.save({ patient, encounter, author: nurse.user, title: 'Progress note', noteType: 'progress',
    currentVersionNumber: 1, status: 'draft' }, nurse.opts);
  const v1 = new Parse.Object('NoteVersion');
  await v1.save({ medicalNote: note, versionNumber: 1, editor: nurse.user, ...SOAP }, nurse.opts);
  await note.fetch(nurse.opts);
  assert.equal(note.get('currentVersionNumber'), 1);

  note.set('status', 'signed');
  await expectParseError(note.save(null, nurse.opts), 142, 'cannot go from draft to signed');
  note.revert();

  const sig = new Parse.Object('Signature');
  await sig.save({ medicalNote: note, noteVersion: v1, signer: doc.user, signatureRole: 'attending', status: 'requested' }, nurse.opts);
  await note.fetch(nurse.opts);
  assert.equal(note.get('status'), 'under_review');

  v1.set('plan', 'rewritten');
  await expectParseError(v1.save(null, nurse.opts), 119);
  v1.revert();

  sig.set('status', 'signed');
  await expectParseError(sig.save(null, nurse.opts), 101);  // only the signer
  const asSigner = await new Parse.Query('Signature').get(sig.id, doc.opts);
  asSigner.set('status', 'signed');
  asSigner.set('signedAt', new Date('2001-01-01T00:00:00.000Z'));
  await asSigner.save(null, doc.opts);
  await asSigner.fetch(doc.opts);
  assert.notEqual(asSigner.get('signedAt').toISOString(), '2001-01-01T00:00:00.000Z');
  assert.equal(asSigner.get('meaning').startsWith('Attending co-signature'), true);
  await note.fetch(nurse.opts);
  assert.equal(note.get('status'), 'signed');
  note.set('status', 'signed');
  await note.save(null, nurse.opts);  // the state the server reached: accepted

  const v2 = new Parse.Object('NoteVersion');
  await expectParseError(v2.save({ medicalNote: note, versionNumber: 2, editor: nurse.user, plan: 'x' }, nurse.opts), 142, 'needs a reason');
  await v2.save({ medicalNote: note, versionNumber: 2, editor: nurse.user, plan: 'Review in 1 week', changeSummary: 'Follow-up shortened' }, nurse.opts);
  await note.fetch(nurse.opts);
  assert.equal(note.get('status'), 'amended');
  await expectParseError(v1.destroy(MK), 119, 'never deleted');
  assert.equal((await new Parse.Query('NoteVersion').get(v1.id, MK)).get('plan'), SOAP.plan);
});
