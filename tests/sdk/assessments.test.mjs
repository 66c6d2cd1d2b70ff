// Behavioral-health assessments through the official SDK: a clinician saves a PHQ-9 and reads the
// server's score; publishing is what lets the patient fetch it; the patient acknowledges it; a
// positive item 9 opens a crisis log the patient does not see. Chartkeep only.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, uid, ensureSeedSchema, expectParseError, ON_PARSE_POSTGRES, staff, newUser } from './helpers.mjs';

const skip = ON_PARSE_POSTGRES ? { skip: 'Chartkeep clinical workflow (not a Parse behaviour)' } : {};

before(async () => { await ensureSeedSchema(); });

/** A patient with a profile, a physician on their care team, and another patient. */
async function clinic() {
  const doc = await staff('physician');
  const patient = await newUser();
  const other = await newUser();
  const profile = new Parse.Object('PatientProfile');
  await profile.save({ user: patient.user, medicalRecordNumber: uid('BH'), displayName: 'Pat One', isActive: true }, MK);
  await new Parse.Object('CareTeamMember').save({ patientProfile: profile, user: doc.user, reason: 'therapist' }, MK);
  return { doc, patient, other, profile, asPatient: { sessionToken: patient.token }, asOther: { sessionToken: other.token } };
}

test('a PHQ-9 is scored by the server; the patient reads it once published, and acknowledges it', skip, async () => {
  const { doc, patient, profile, asPatient, asOther } = await clinic();
  const a = new Parse.Object('IntakeAssessment');
  await a.save({ patient: profile, assessor: doc.user, assessmentDate: new Date(), status: 'completed',
    data: { instrument: 'PHQ-9', answers: [2, 2, 1, 2, 1, 1, 2, 1, 0] }, recommendations: 'Weekly CBT',
    totalScore: 0, severity: 'minimal' }, doc.opts);
  await a.fetch(doc.opts);
  assert.equal(a.get('totalScore'), 12);  // the client's 0 was overwritten
  assert.equal(a.get('severity'), 'moderate');
  assert.equal(a.get('crisisFlag'), false);
  assert.equal(a.get('version'), 1);

  const mine = () => new Parse.Query('IntakeAssessment').equalTo('patient', profile);
  assert.deepEqual(await mine().find(asPatient), []);
  await expectParseError(new Parse.Query('IntakeAssessment').get(a.id, asPatient), 101);

  a.set('recommendations', 'edited in place');
  await expectParseError(a.save(null, doc.opts), 142, 'never edited in place');
  a.revert();

  const { assessment } = await Parse.Cloud.run('publishAssessment', { assessment: a.toPointer() }, doc.opts);
  assert.ok(assessment instanceof Parse.Object);
  assert.ok(assessment.get('publishedAt') instanceof Date);

  const seen = await mine().find(asPatient);
  assert.deepEqual(seen.map((x) => x.id), [a.id]);
  assert.equal(seen[0].get('totalScore'), 12);
  assert.equal(seen[0].get('recommendations'), 'Weekly CBT');
  assert.deepEqual(await new Parse.Query('IntakeAssessment').equalTo('objectId', a.id).find(asOther), []);
  await expectParseError(Parse.Cloud.run('acknowledgeAssessment', { assessment: a.id }, asOther), 101);

  const acked = await Parse.Cloud.run('acknowledgeAssessment', { assessment: a.id }, asPatient);
  assert.ok(acked.assessment.get('acknowledgedAt') instanceof Date);
  assert.equal(acked.assessment.get('acknowledgedBy').id, patient.user.id);
});

test('a positive item 9 opens a high-priority crisis log for the care team, not the patient', skip, async () => {
  const { doc, profile, asPatient } = await clinic();
  const a = new Parse.Object('IntakeAssessment');
  await a.save({ patient: profile, assessor: doc.user, assessmentDate: new Date(), status: 'completed',
    data: { instrument: 'phq9', answers: { item1: 1, item2: 1, item3: 0, item4: 1, item5: 0, item6: 1, item7: 0, item8: 0, item9: 1 } } },
  doc.opts);
  const logs = await new Parse.Query('CrisisInterventionLog').equalTo('source', a).find(doc.opts);
  assert.equal(logs.length, 1);
  assert.equal(logs[0].get('status'), 'open');
  assert.equal(logs[0].get('priority'), 'high');
  assert.equal(logs[0].get('recordedBy').id, doc.user.id);
  assert.deepEqual(await new Parse.Query('CrisisInterventionLog').equalTo('source', a).find(asPatient), []);

  const log = logs[0];
  log.set({ status: 'in_progress', responseAction: 'Same-day call, safety plan' });
  await log.save(null, doc.opts);
  log.set({ status: 'resolved' });
  await expectParseError(log.save(null, doc.opts), 142, 'needs an outcome');
  log.set({ outcome: 'Safe at home; follow-up Monday', shareWithPatient: true });
  await log.save(null, doc.opts);
  const shared = await new Parse.Query('CrisisInterventionLog').get(log.id, asPatient);
  assert.equal(shared.get('outcome'), 'Safe at home; follow-up Monday');
  const history = await new Parse.Query('CrisisLogRevision').equalTo('log', log).ascending('version').find(doc.opts);
  assert.deepEqual(history.map((h) => h.get('version')), [1, 2, 3]);
  assert.deepEqual(history[2].get('changedFields'), ['outcome', 'shareWithPatient', 'status']);
  assert.deepEqual(history[2].get('before'), { status: 'in_progress' });
  await expectParseError(new Parse.Query('CrisisLogRevision').find(asPatient), 119);
});

test('bad PHQ-9 answers are refused with the item named', skip, async () => {
  const { doc, profile } = await clinic();
  const a = new Parse.Object('IntakeAssessment');
  await expectParseError(a.save({ patient: profile, assessor: doc.user, assessmentDate: new Date(), status: 'completed',
    data: { instrument: 'PHQ-9', answers: [0, 0, 0, 0, 0, 0, 0, 2.5, 0] } }, doc.opts), 142,
  'PHQ-9 item 8 must be an integer from 0 to 3; got 2.5.');
  assert.equal(a.id, undefined);
});

test('the patient finds an assigned PHQ-9 pending on the dashboard and answers it with submitAssessment', skip, async () => {
  const { doc, patient, profile, asPatient, asOther } = await clinic();
  const dueAt = new Date(Date.now() + 7 * 86400000);
  const { assessment } = await Parse.Cloud.run('assignAssessment', { patient: profile.toPointer(), instrument: 'PHQ-9', dueAt },
    doc.opts);
  assert.ok(assessment instanceof Parse.Object);
  assert.equal(assessment.get('assessor').id, doc.user.id);

  const dashboard = () => new Parse.Query('IntakeAssessment').equalTo('patient', profile).equalTo('status', 'pending');
  const [mine, ...rest] = await dashboard().find(asPatient);
  assert.deepEqual(rest, []);
  assert.equal(mine.id, assessment.id);
  assert.equal(mine.get('respondent'), 'patient');
  assert.equal(mine.get('dueAt').getTime(), dueAt.getTime());
  assert.deepEqual(mine.get('data'), { instrument: 'PHQ-9' });
  assert.equal(await dashboard().count(asPatient), 1);
  assert.deepEqual(await new Parse.Query('IntakeAssessment').equalTo('objectId', mine.id).find(asOther), []);

  mine.set({ status: 'completed', data: { instrument: 'PHQ-9', answers: [0, 0, 0, 0, 0, 0, 0, 0, 0] } });
  await expectParseError(mine.save(null, asPatient), 119);  // only the function answers
  mine.revert();
  const answers = [2, 2, 1, 2, 1, 1, 2, 1, 0];
  await expectParseError(Parse.Cloud.run('submitAssessment', { assessment: mine.toPointer(), answers }, asOther), 101);
  await expectParseError(Parse.Cloud.run('submitAssessment', { assessment: mine.toPointer(), answers }, doc.opts), 119);
  await expectParseError(Parse.Cloud.run('submitAssessment', { assessment: mine.toPointer(), answers: [...answers.slice(0, 8), 7] },
    asPatient), 142, 'PHQ-9 item 9 must be an integer from 0 to 3; got 7.');

  const { assessment: done } = await Parse.Cloud.run('submitAssessment', { assessment: mine.toPointer(), answers }, asPatient);
  assert.ok(done instanceof Parse.Object);
  assert.equal(done.get('status'), 'completed');
  assert.equal(done.get('totalScore'), 12);
  assert.equal(done.get('severity'), 'moderate');
  assert.equal(done.get('crisisFlag'), false);
  assert.ok(done.get('submittedAt') instanceof Date);
  assert.equal(done.get('recommendations'), undefined);
  assert.deepEqual(await dashboard().find(asPatient), []);
  const fetched = await new Parse.Query('IntakeAssessment').get(mine.id, asPatient);
  assert.deepEqual(fetched.get('data').answers, answers);
  assert.equal(fetched.get('assessor').id, doc.user.id);
  assert.notEqual(fetched.get('assessor').id, patient.user.id);
  await expectParseError(Parse.Cloud.run('submitAssessment', { assessment: mine.toPointer(), answers }, asPatient), 142,
    'already submitted');
});
