// A real OpenID Connect provider for the single sign-on tests (panva/oidc-provider, MIT).
// Test-only: it is started by crates/hicp/tests and never shipped.
//
// Protocol with the test, on stdin/stdout:
//   1. it listens on 127.0.0.1 (a free port) and prints `issuer http://127.0.0.1:PORT`;
//   2. it reads one line of JSON: {"client_id", "client_secret", "redirect_uris": [...],
//      "id_token_claims": bool}; with id_token_claims the claims of the granted scopes are
//      in the ID token too (otherwise only at the userinfo endpoint, the library's default);
//   3. it prints `ready` and serves until stdin closes.
// The sign-in form accepts any login with any password (the library's development
// interactions); the login is the account id, and the account's claims are:
//   - `email`: the login up to a `#`; `email_verified`: true, unless the login starts with
//     `unverified.`
//   - `name`: the part before the `@`;
//   - `groups`: the comma-separated names after a `#` (`ann@clinic.example#admins,staff`).
// Consent is granted without asking (a first-party client), so a sign-in is one form.
import http from 'node:http';
import readline from 'node:readline';
import Provider from 'oidc-provider';

// The test may stop reading: never die of a closed stdout.
process.stdout.on('error', () => {});

let handler = null;
const server = http.createServer((req, res) => {
  if (handler) return handler(req, res);
  res.statusCode = 503;
  res.end('not configured yet');
});
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`issuer ${issuer}\n`);
  const lines = readline.createInterface({ input: process.stdin });
  let configured = false;
  lines.on('line', (line) => {
    if (configured || !line.trim()) return;
    configured = true;
    const client = JSON.parse(line);
    const provider = new Provider(issuer, {
      clients: [{
        client_id: client.client_id,
        client_secret: client.client_secret,
        redirect_uris: client.redirect_uris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      }],
      claims: {
        openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'],
      },
      conformIdTokenClaims: !client.id_token_claims,
      pkce: { required: () => true },
      async findAccount(_ctx, id) {
        return {
          accountId: id,
          async claims() {
            const [login, groups] = id.split('#');
            return {
              sub: id,
              email: login.replace(/^unverified\./, ''),
              email_verified: !login.startsWith('unverified.'),
              name: login.split('@')[0],
              groups: groups ? groups.split(',') : [],
            };
          },
        };
      },
      async loadExistingGrant(ctx) {
        const grantId = ctx.oidc.result?.consent?.grantId
          || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
        if (grantId) return ctx.oidc.provider.Grant.find(grantId);
        const grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client.clientId,
          accountId: ctx.oidc.session.accountId,
        });
        grant.addOIDCScope('openid email profile');
        grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups']);
        await grant.save();
        return grant;
      },
    });
    handler = provider.callback();
    process.stdout.write('ready\n');
  });
  lines.on('close', () => process.exit(0));
});
