// Files through the official SDK: Parse.File.save (the JSON/base64 form and the binary form),
// attached to a chart's Attachment, downloaded by file.url() / getData(); the care team only.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, uid, rest, ensureSeedSchema, expectParseError, PASSWORD, ON_PARSE_POSTGRES, staff } from './helpers.mjs';

const skip = ON_PARSE_POSTGRES ? { skip: 'Chartkeep file policy (encrypted, signed links, care team)' } : {};

before(async () => { await ensureSeedSchema(); });

async function chart() {
  const doc = await staff('physician');
  const outsider = await staff('physician');
  const patient = new Parse.Object('Patient');
  await patient.save({ mrn: uid('MRN'), fullName: 'Ada Lovelace', dateOfBirth: new Date('1985-12-10T00:00:00.000Z'),
    status: 'active' }, { sessionToken: doc.token });
  return { doc, outsider, patient };
}

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from([...Array(256).keys()]), Buffer.from('\n%%EOF\n')]);

async function download(url) {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get('content-type'), body: Buffer.from(await r.arrayBuffer()) };
}

test('a clinician saves a Parse.File, attaches it, and the care team downloads it by url()', skip, async () => {
  const { doc, outsider, patient } = await chart();
  const file = new Parse.File('discharge summary.pdf', { base64: PDF.toString('base64') }, 'application/pdf');
  await file.save({ sessionToken: doc.token });
  assert.match(file.name(), /^[0-9a-f]{32}_discharge summary\.pdf$/);
  const attachment = new Parse.Object('Attachment');
  await attachment.save({ patient, file, category: 'discharge', uploadedBy: doc.user }, { sessionToken: doc.token });

  const got = await new Parse.Query('Attachment').get(attachment.id, { sessionToken: doc.token });
  const f = got.get('file');
  assert.ok(f instanceof Parse.File);
  assert.equal(f.name(), file.name());
  const r = await download(f.url());
  assert.equal(r.status, 200);
  assert.equal(r.type, 'application/pdf');
  assert.deepEqual(r.body, PDF);
  assert.equal(await f.getData(), PDF.toString('base64'));

  // the outsider cannot read the Attachment, so gets no link; the function says not found too
  await expectParseError(new Parse.Query('Attachment').get(attachment.id, { sessionToken: outsider.token }), 101);
  await expectParseError(Parse.Cloud.run('getAttachmentUrl', { attachmentId: attachment.id },
    { sessionToken: outsider.token }), 101);
  const fresh = await Parse.Cloud.run('getAttachmentUrl', { attachmentId: attachment.id }, { sessionToken: doc.token });
  assert.deepEqual((await download(fresh.url)).body, PDF);

  // a link with its signature changed is refused with a Parse error body
  const forged = new URL(f.url());
  forged.searchParams.set('u', outsider.id);
  const bad = await fetch(forged);
  assert.equal(bad.status, 403);
  assert.deepEqual(await bad.json(), { code: 119, error: 'Permission denied: this file link is invalid.' });
});

test('the binary upload form (a Buffer) and the master key deleting a file', skip, async () => {
  const { doc, patient } = await chart();
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);
  const file = new Parse.File('wound.png', png);
  await file.save({ sessionToken: doc.token });
  const attachment = new Parse.Object('Attachment');
  await attachment.save({ patient, file, category: 'imaging', uploadedBy: doc.user }, { sessionToken: doc.token });
  const got = await new Parse.Query('Attachment').get(attachment.id, { sessionToken: doc.token });
  const r = await download(got.get('file').url());
  assert.equal(r.type, 'image/png');
  assert.deepEqual(r.body, png);

  await expectParseError(new Parse.File('page.html', { base64: Buffer.from('<html></html>').toString('base64') },
    'text/html').save({ sessionToken: doc.token }), 130, 'html');
  await file.destroy(MK);
  assert.equal((await download(got.get('file').url())).status, 404);
});

test('new Parse.File(name, bytes): saved as application/octet-stream, previewed by its uploader only, then served as a download', skip, async () => {
  const { doc, outsider, patient } = await chart();
  const bytes = [...Array(256).keys(), 0, 255, 13, 10];
  const file = new Parse.File('device-export', bytes);
  await file.save({ sessionToken: doc.token });
  assert.match(file.name(), /^[0-9a-f]{32}_device-export$/); // no type declared: the name stays as given

  // preview after upload: the uploader's own url() works before the file is attached
  const preview = await fetch(file.url());
  assert.equal(preview.status, 200);
  assert.deepEqual(Buffer.from(await preview.arrayBuffer()), Buffer.from(bytes));
  assert.equal(preview.headers.get('content-type'), 'application/octet-stream');
  assert.equal(preview.headers.get('content-disposition'), `attachment; filename="${file.name()}"`);
  assert.equal(preview.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(preview.headers.get('content-security-policy'), "default-src 'none'; sandbox");
  // nobody else: the uploader's link presented by another user is refused
  const theirs = await fetch(file.url(), { headers: { 'X-Parse-Session-Token': outsider.token } });
  assert.equal(theirs.status, 403);
  assert.deepEqual(await theirs.json(), { code: 119, error: 'Permission denied: this file link was issued to another user.' });
  // ... and another user cannot put it in an object of theirs to reach it
  const stolen = new Parse.Object('Attachment');
  await expectParseError(stolen.save({ patient, file, category: 'device', uploadedBy: outsider.user },
    { sessionToken: outsider.token }), 119);

  const attachment = new Parse.Object('Attachment');
  await attachment.save({ patient, file, category: 'device', uploadedBy: doc.user }, { sessionToken: doc.token });
  const got = await new Parse.Query('Attachment').get(attachment.id, { sessionToken: doc.token });
  const r = await download(got.get('file').url());
  assert.equal(r.status, 200);
  assert.equal(r.type, 'application/octet-stream');
  assert.deepEqual(r.body, Buffer.from(bytes));
  assert.equal(await got.get('file').getData(), Buffer.from(bytes).toString('base64'));

  // a script is still refused whatever type the SDK declares
  await expectParseError(new Parse.File('run', [...Buffer.from('#!/bin/sh\nrm -rf /\n')]).save({ sessionToken: doc.token }),
    130, 'looks like a program');
});
