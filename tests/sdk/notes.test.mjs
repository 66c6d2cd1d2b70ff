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

// The template's own flow (the seed's Integration Flow): the app writes MedicalNote.status itself.
// Every move the lifecycle allows is accepted in either order the app may use; what the rules
// forbid stays refused (docs/clinical.md, "Status a client writes").

async function templateNote(nurse, patient, encounter) {
  const note = new Parse.Object('MedicalNote');
  await note.save({ patient, encounter, author: nurse.user, title: 'Progress note', noteType: 'progress',
    currentVersionNumber: 0, status: 'draft' }, nurse.opts);
  return note;
}

async function refusedSave(obj, opts, code, message) {
  await expectParseError(obj.save(null, opts), code, message);
  obj.revert();
}

test('template flow: the app sends the note for review first, then requests signatures', skip, async () => {
  const { doc, nurse, patient, encounter } = await clinic();
  const note = await templateNote(nurse, patient, encounter);
  note.set('status', 'under_review');
  await refusedSave(note, nurse.opts, 142, 'MedicalNote has no content yet: save a version before sending it for review.');

  const v1 = new Parse.Object('NoteVersion');
  await v1.save({ medicalNote: note, versionNumber: 1, editor: nurse.user, ...SOAP }, nurse.opts);
  note.set('currentVersionNumber', v1.get('versionNumber'));
  note.set('status', 'under_review');
  await note.save(null, nurse.opts);
  assert.equal((await new Parse.Query('MedicalNote').get(note.id, doc.opts)).get('status'), 'under_review');

  // under review with nothing requested yet: frozen, and not signed
  note.set('title', 'Retitled');
  await refusedSave(note, nurse.opts, 142, 'MedicalNote is under review: it cannot change until a signer declines it');
  await expectParseError(new Parse.Object('NoteVersion').save({ medicalNote: note, versionNumber: 2, editor: nurse.user,
    plan: 'late edit' }, nurse.opts), 142, 'MedicalNote is under review: no new version');
  note.set('status', 'signed');
  await refusedSave(note, nurse.opts, 142, 'cannot go from under_review to signed');
  // the author takes it back, edits, and sends it again
  note.set('status', 'draft');
  await note.save(null, nurse.opts);
  note.set('title', 'Progress note, day 2');
  await note.save(null, nurse.opts);
  note.set('status', 'under_review');
  await note.save(null, nurse.opts);

  const sig = new Parse.Object('Signature');
  await sig.save({ medicalNote: note, noteVersion: v1, signer: doc.user, signatureRole: 'attending', status: 'requested' }, nurse.opts);
  note.set('status', 'signed');
  await refusedSave(note, nurse.opts, 142, '(version 1: 1 requested, 0 signed)');
  note.set('status', 'draft');
  await refusedSave(note, nurse.opts, 142, 'while a signature is requested on its current version (1)');

  const mine = await new Parse.Query('Signature').get(sig.id, doc.opts);
  mine.set('status', 'signed');
  await mine.save(null, doc.opts);
  assert.match(mine.get('contentHash'), /^[0-9a-f]{64}$/);
  const signed = await new Parse.Query('MedicalNote').get(note.id, doc.opts);
  assert.equal(signed.get('status'), 'signed');
  signed.set('status', 'signed');  // the app marks it signed: the state the server reached
  await signed.save(null, doc.opts);
  signed.set('status', 'draft');
  await refusedSave(signed, doc.opts, 142, 'a signed note is final');
  assert.deepEqual(await Parse.Cloud.run('verifyNoteSignatures', { note: note.toPointer() }, doc.opts), { checked: 1, mismatches: [] });
});

test('template flow: signature requests first, a decline, the note sent again and amended', skip, async () => {
  const { doc, nurse, patient, encounter } = await clinic();
  const note = await templateNote(nurse, patient, encounter);
  const v1 = new Parse.Object('NoteVersion');
  await v1.save({ medicalNote: note, versionNumber: 1, editor: nurse.user, ...SOAP }, nurse.opts);
  const sig = new Parse.Object('Signature');
  await sig.save({ medicalNote: note, noteVersion: v1, signer: doc.user, signatureRole: 'attending', status: 'requested' }, nurse.opts);
  note.set('currentVersionNumber', 1);
  note.set('status', 'under_review');  // the server is there already: accepted
  await note.save(null, nurse.opts);

  const asSigner = await new Parse.Query('Signature').get(sig.id, doc.opts);
  asSigner.set('status', 'declined');
  asSigner.set('comment', 'Plan lacks a follow-up date');
  await asSigner.save(null, doc.opts);
  await note.fetch(nurse.opts);
  assert.equal(note.get('status'), 'draft');
  note.set('status', 'draft');
  await note.save(null, nurse.opts);

  const v2 = new Parse.Object('NoteVersion');
  await v2.save({ medicalNote: note, versionNumber: 2, editor: nurse.user, plan: 'Review on 2026-02-01' }, nurse.opts);
  note.set('currentVersionNumber', v2.get('versionNumber'));
  note.set('status', 'under_review');
  await note.save(null, nurse.opts);
  assert.equal(note.get('currentVersionNumber'), 2);
  const again = new Parse.Object('Signature');
  await again.save({ medicalNote: note, noteVersion: v2, signer: doc.user, signatureRole: 'attending', status: 'requested' }, nurse.opts);
  const second = await new Parse.Query('Signature').get(again.id, doc.opts);
  second.set('status', 'signed');
  await second.save(null, doc.opts);
  await note.fetch(nurse.opts);
  assert.equal(note.get('status'), 'signed');
  note.set('status', 'signed');
  await note.save(null, nurse.opts);

  note.set('status', 'amended');  // an amendment is a version with a reason, not a status
  await refusedSave(note, nurse.opts, 142, 'a signed note becomes amended when an amendment version is saved with a reason');
  const v3 = new Parse.Object('NoteVersion');
  await v3.save({ medicalNote: note, versionNumber: 3, editor: nurse.user, plan: 'Review on 2026-01-25',
    changeSummary: 'Follow-up brought forward' }, nurse.opts);
  note.set('currentVersionNumber', v3.get('versionNumber'));
  note.set('status', 'amended');
  await note.save(null, nurse.opts);
  await note.fetch(nurse.opts);
  assert.deepEqual([note.get('status'), note.get('currentVersionNumber')], ['amended', 3]);
});
