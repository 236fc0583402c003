// Runs s3rver in its own process and prints its port as one JSON line.
//   node --openssl-legacy-provider s3rver-process.js DIRECTORY [--ignore-if-none-match]
// Own process because s3rver encrypts listing continuation tokens with DES, which Node 20's
// OpenSSL 3 only offers with --openssl-legacy-provider; the flag stays out of jest's processes.
'use strict';
const S3rver = require('s3rver');

const directory = process.argv[2];
// Raw: If-None-Match ignored, as s3rver itself and S3-compatible stores without conditional
// writes do (where write races show). Writes stay atomic either way.
const enforceIfNoneMatch = !process.argv.includes('--ignore-if-none-match');
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });

// Two things real S3 does and s3rver does not, added in front of it so that the tests
// meet S3's behaviour:
// - Atomic writes. s3rver writes an object's bytes in place and its metadata as a second
//   file, so two PUTs of one key at once can leave the bytes of one with the metadata of
//   the other, and a GET during a PUT can read half a file. Requests for one key (path)
//   are run one at a time here.
// - Conditional creates (`If-None-Match: *`, in S3 since 2024): s3rver ignores the header;
//   here a PUT or multipart completion carrying it gets 412 when the key exists. (The
//   client's path for stores without conditional writes is covered by unit tests over
//   fake stores; on s3rver it had a window no client can close, which made the racing
//   uploads test fail now and then.)
const fs = require('node:fs');

function exists(url) {
  const [bucket, ...rest] = decodeURIComponent(url.split('?')[0]).slice(1).split('/');
  return rest.length > 0 && fs.existsSync(server.store.getResourcePath(bucket, rest.join('/'), 'object'));
}

function preconditionFailed(res) {
  res.writeHead(412, { 'Content-Type': 'application/xml' });
  res.end(
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
      '<Message>At least one of the pre-conditions you specified did not hold</Message></Error>',
  );
}

const queues = new Map();
function oneAtATime(req, res, handle) {
  const key = req.url.split('?')[0];
  const before = queues.get(key) ?? Promise.resolve();
  const done = before.then(
    () =>
      new Promise((resolve) => {
        res.on('close', resolve);
        const creates = req.method === 'PUT' || (req.method === 'POST' && req.url.includes('uploadId='));
        if (enforceIfNoneMatch && creates && req.headers['if-none-match'] === '*' && exists(req.url)) {
          req.resume(); // drain the body the client sends anyway
          preconditionFailed(res);
          return;
        }
        handle(req, res);
      }),
  );
  queues.set(key, done);
  done.then(() => {
    if (queues.get(key) === done) queues.delete(key);
  });
}
const koaHandler = server.callback.bind(server);
server.callback = () => {
  const handle = koaHandler();
  return (req, res) => oneAtATime(req, res, handle);
};

server.run().then(
  ({ port }) => process.stdout.write(JSON.stringify({ port }) + '\n'),
  (err) => {
    process.stderr.write(`s3rver failed to start: ${err.stack || err}\n`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
