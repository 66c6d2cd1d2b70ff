// Starts Parse Server for bench/ (copied next to node_modules in the scratch folder by the bench).
// Configuration comes from the environment so the Python orchestrator owns every value.
const http = require('http');
const express = require('express');
const { ParseServer } = require('parse-server');

async function main() {
  const port = Number(process.env.PORT || 1438);
  const mount = '/parse';
  const server = new ParseServer({
    databaseURI: process.env.DATABASE_URI,
    appId: process.env.APP_ID,
    masterKey: process.env.MASTER_KEY,
    serverURL: `http://127.0.0.1:${port}${mount}`,
    allowClientClassCreation: process.env.ALLOW_CLASS_CREATION === '1',
    logLevel: 'error',
    silent: true,
    // LIVE_QUERY_CLASSES=A,B: publish those classes to a LiveQuery server on the same port
    ...(process.env.LIVE_QUERY_CLASSES ? { liveQuery: { classNames: process.env.LIVE_QUERY_CLASSES.split(',') } } : {}),
  });
  await server.start();
  const app = express();
  app.use(mount, server.app);
  const httpServer = http.createServer(app);
  httpServer.listen(port, '127.0.0.1', () => {
    process.stdout.write(`parse-server listening on ${port}\n`);
  });
  if (process.env.LIVE_QUERY_CLASSES) {
    await ParseServer.createLiveQueryServer(httpServer, { logLevel: 'ERROR' });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
