// An OpenID Certified provider (npm `oidc-provider`) for Roster's OIDC
// tests: `node provider.mjs <port> <accounts.json> <redirect_uri>`.
// Accounts are read from the file at every lookup, so a test can change a
// user's groups between logins: { "<sub>": { "email": …, "email_verified":
// true, "name": …, "preferred_username": …, "groups": […] } }. The dev
// login form takes any password; its consent form grants what is asked.
// Prints "listening" once it serves. The client `roster-cli` gets JWT
// access tokens for any `resource` it names (with TOKEN_CLAIMS=1, carrying
// the account's claims). SPARSE_ID_TOKEN=1 leaves the
// scopes' claims out of the ID token.
import fs from 'node:fs';
import Provider from 'oidc-provider';

const [port, accountsFile, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'roster',
    client_secret: 'roster-test-secret',
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }, {
    // A script's client: it asks for an access token for Roster's API
    // (`resource=<the API's audience>`), which is then a JWT.
    client_id: 'roster-cli',
    redirect_uris: ['http://127.0.0.1/cli-callback'],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'none',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  // The claims of the granted scopes go in the ID token too, unless
  // SPARSE_ID_TOKEN=1: then the ID token carries only `sub` and the rest
  // comes from the userinfo endpoint (OpenID Connect Core 5.4).
  conformIdTokenClaims: process.env.SPARSE_ID_TOKEN === '1',
  // TOKEN_CLAIMS=1: JWT access tokens carry the account's claims (email,
  // names, groups), as many providers' do; else only `sub` and the
  // token's own claims.
  async extraTokenClaims(_ctx, token) {
    if (process.env.TOKEN_CLAIMS !== '1' || !token.accountId) return undefined;
    const accounts = JSON.parse(fs.readFileSync(accountsFile, 'utf8'));
    return accounts[token.accountId];
  },
  cookies: { keys: ['roster-test-cookie-key'] },
  features: {
    devInteractions: { enabled: true },
    // Access tokens for a requested resource (RFC 8707) are RS256 JWTs
    // (RFC 9068) with that resource as their audience, for five minutes.
    resourceIndicators: {
      enabled: true,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => ({
        scope: 'api',
        audience: resource,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 300,
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  async findAccount(_ctx, id) {
    const accounts = JSON.parse(fs.readFileSync(accountsFile, 'utf8'));
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log('listening');
});
