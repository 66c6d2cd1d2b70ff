// The same SDK app, pointed at the Parse Server an export was loaded into: reads what the test names
// and prints it as JSON (tests/parse_server/test_export_to_parse.py). Argument: a JSON job.
import Parse from '../sdk/node_modules/parse/node.js';

const job = JSON.parse(process.argv[2]);
Parse.initialize(job.appId, undefined, job.masterKey);
Parse.serverURL = job.serverURL;
const out = {};
const lab = await new Parse.Query('LabResult').include('patient').get(job.labId, { useMasterKey: true });
out.lab = { value: lab.get('value'), takenAt: lab.get('takenAt').toISOString(), flags: lab.get('flags'),
  patientMrn: lab.get('patient').get('mrn'), acl: lab.getACL().toJSON() };
const user = await Parse.User.logIn(job.username, job.password);
out.loggedIn = user.id;
out.readsLab = (await new Parse.Query('LabResult').find({ sessionToken: user.getSessionToken() })).map((o) => o.id);
const visitor = await Parse.User.logIn(job.visitor, job.password);
out.visitorReads = (await new Parse.Query('LabResult').find({ sessionToken: visitor.getSessionToken() })).map((o) => o.id);
const role = await new Parse.Query(Parse.Role).equalTo('name', 'Cardiology').first({ useMasterKey: true });
out.cardiologyUsers = (await role.getUsers().query().find({ useMasterKey: true })).map((u) => u.get('username')).sort();
process.stdout.write(JSON.stringify(out));
