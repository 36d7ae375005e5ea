// A real SMTP server for the email tests (nodemailer's smtp-server and mailparser, MIT).
// Test-only: it is started by crates/hicp/tests and never shipped.
//
// Protocol with the test, on stdout:
//   1. it listens on 127.0.0.1 (a free port) and prints `listening PORT`;
//   2. for every message it accepts, it prints one line of JSON:
//      {"from": "...", "to": ["..."], "subject": "...", "text": "..."}
//      (the envelope's sender and recipients, the decoded subject and plain-text body).
// Recipients whose address starts with `bounce` are refused (550), so that a test can see
// a failed send. Plain SMTP without TLS or authentication. It exits when stdin closes.
import readline from 'node:readline';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

// The test may stop reading: never die of a closed stdout.
process.stdout.on('error', () => {});

const server = new SMTPServer({
  secure: false,
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  logger: false,
  onRcptTo(address, _session, callback) {
    if (address.address.toLowerCase().startsWith('bounce')) {
      const err = new Error('No such mailbox here');
      err.responseCode = 550;
      return callback(err);
    }
    return callback();
  },
  onData(stream, session, callback) {
    simpleParser(stream)
      .then((mail) => {
        const line = JSON.stringify({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: mail.subject || '',
          text: mail.text || '',
        });
        process.stdout.write(`${line}\n`);
        callback();
      })
      .catch((e) => callback(e));
  },
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.server.address().port}\n`);
});
readline.createInterface({ input: process.stdin }).on('close', () => process.exit(0));
