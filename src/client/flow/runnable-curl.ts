// A flow, as a bash script that plays it again from scratch: fresh state and
// PKCE pair (openssl), the authorization request with a cookie jar, the lab's
// sign-in and consent forms posted, the code read from Location, the token
// request with HTTP Basic, and the resource call. Unlike the transcript
// (export.ts), nothing in it is replayed: every one-time value is new.

import { decodeBasic } from './decode.js'
import { formOf, pathOf, queryOf, requestHeader } from './http.js'
import { AUTHORIZE_PATHS, TOKEN_PATHS } from './index-exchanges.js'
import { LIVE_CREDENTIALS, shellQuote, type ExportUrls } from './export.js'
import type { Flow, RecordedExchange } from './types.js'

/** What the script needs from the flow; anything the flow lacks comes from the environment. */
interface Parameters {
  readonly clientId?: string
  readonly clientSecret?: string
  readonly redirectUri?: string
  readonly scope?: string
  readonly username?: string
  readonly password?: string
  readonly authorizePath: string
  readonly tokenPath: string
}

function parametersOf(flow: Flow): Parameters {
  const exchanges = [...new Set(flow.entries.map((e) => e.exchange))]
  const find = (test: (e: RecordedExchange) => boolean) => exchanges.find(test)
  const authorize = find((e) => e.role === 'auth-server' && AUTHORIZE_PATHS.has(pathOf(e)))
  const token = find((e) => e.role === 'auth-server' && TOKEN_PATHS.has(pathOf(e)))
  const login = find((e) => e.role === 'auth-server' && pathOf(e) === '/login')
  const query = authorize ? queryOf(authorize) : new URLSearchParams()
  const basic = token ? decodeBasic(requestHeader(token, 'authorization')) : undefined
  const form = login ? formOf(login) : new URLSearchParams()
  return {
    clientId: query.get('client_id') ?? basic?.clientId,
    clientSecret: basic?.clientSecret,
    redirectUri: query.get('redirect_uri') ?? undefined,
    scope: query.get('scope') ?? undefined,
    username: form.get('username') ?? undefined,
    password: form.get('password') ?? undefined,
    authorizePath: authorize ? pathOf(authorize) : '/authorize',
    tokenPath: token ? pathOf(token) : '/token',
  }
}

/** `NAME=${NAME:-value}`: the flow's value, overridable from the environment. */
function setting(name: string, value: string | undefined, fallback: string): string {
  return `${name}=\${${name}:-${shellQuote(value ?? fallback)}}`
}

export function toRunnableCurl(flow: Flow, urls: ExportUrls): string {
  const p = parametersOf(flow)
  return `#!/usr/bin/env bash
# ${LIVE_CREDENTIALS}
# oauth-lab flow ${flow.id}, as a runnable script: the seven steps played again
# from scratch with curl and openssl (fresh state and PKCE pair, so nothing is
# replayed). Run it with bash while the lab is up; each value below can be
# overridden from the environment (e.g. AUTH=http://localhost:9101 bash run.sh).
set -euo pipefail

${setting('AUTH', urls.authPublic, 'http://localhost:9001')}
${setting('RESOURCE', `${urls.resourcePublic}/resource`, 'http://localhost:9002/resource')}
${setting('CLIENT_ID', p.clientId, 'oauth-client-1')}
${setting('CLIENT_SECRET', p.clientSecret, 'oauth-client-secret-1')}
${setting('REDIRECT_URI', p.redirectUri, `${urls.client}/authenticated`)}
${setting('SCOPE', p.scope, 'foo bar')}
${setting('LAB_USERNAME', p.username, 'alice')}
${setting('LAB_PASSWORD', p.password, 'alice-password')}

jar=$(mktemp)
trap 'rm -f "$jar"' EXIT
# BASE64URL without padding (RFC 7636 Appendix A).
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# The value of a hidden input of the lab's login and consent pages.
field() { sed -n "s/.*name=\\"$1\\" value=\\"\\([^\\"]*\\)\\".*/\\1/p" | head -n 1; }
# The Location header of a response's headers, made absolute against $AUTH.
location() {
  local l
  l=$(grep -i '^location:' | head -n 1 | cut -d ' ' -f 2- | tr -d '\\r')
  case "$l" in http*) printf '%s' "$l" ;; *) printf '%s%s' "$AUTH" "$l" ;; esac
}
# GET or POST as the browser: headers to $1.h, body to $1.b.
browse() { local out=$1; shift; curl -sS -b "$jar" -c "$jar" -D "$out.h" -o "$out.b" "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$jar" "$tmp"' EXIT

# Step 1: a fresh state (RFC 6749 §10.12) and PKCE pair (RFC 7636 §4.1, §4.2).
STATE=$(openssl rand 32 | b64url)
VERIFIER=$(openssl rand 32 | b64url)
CHALLENGE=$(printf '%s' "$VERIFIER" | openssl dgst -sha256 -binary | b64url)
browse "$tmp/1" -G "$AUTH${p.authorizePath}" \\
  --data-urlencode response_type=code --data-urlencode "client_id=$CLIENT_ID" \\
  --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "scope=$SCOPE" \\
  --data-urlencode "state=$STATE" --data-urlencode "code_challenge=$CHALLENGE" \\
  --data-urlencode code_challenge_method=S256
page=$tmp/1

# Step 2: the login form, posted to the authorization server only.
if grep -q 'action="/login"' "$page.b"; then
  browse "$tmp/2" "$AUTH/login" --data-urlencode "_csrf=$(field _csrf < "$page.b")" \\
    --data-urlencode "interaction=$(field interaction < "$page.b")" \\
    --data-urlencode "username=$LAB_USERNAME" --data-urlencode "password=$LAB_PASSWORD"
  browse "$tmp/2b" "$(location < "$tmp/2.h")"
  page=$tmp/2b
fi

# Step 3: consent (skipped when a decision is remembered).
if grep -q 'action="/consent"' "$page.b"; then
  browse "$tmp/3" "$AUTH/consent" --data-urlencode "_csrf=$(field _csrf < "$page.b")" \\
    --data-urlencode "interaction=$(field interaction < "$page.b")" --data-urlencode decision=allow
  page=$tmp/3
fi

# Step 4: the code (and the same state) in the redirect's Location (RFC 6749 §4.1.2).
CALLBACK=$(location < "$page.h")
CODE=$(printf '%s' "$CALLBACK" | sed -n 's/.*[?&]code=\\([^&]*\\).*/\\1/p')
RETURNED=$(printf '%s' "$CALLBACK" | sed -n 's/.*[?&]state=\\([^&]*\\).*/\\1/p')
if [ -z "$CODE" ] || [ "$RETURNED" != "$STATE" ]; then
  echo "No code, or another state, in the redirect: $CALLBACK" >&2
  exit 1
fi
echo "Step 4: code $CODE"

# Steps 5-6: the token request, HTTP Basic (RFC 6749 §2.3.1, §4.1.3; RFC 7636 §4.5).
TOKEN_RESPONSE=$(curl -sS -u "$CLIENT_ID:$CLIENT_SECRET" -H 'Accept: application/json' "$AUTH${p.tokenPath}" \\
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE" \\
  --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "code_verifier=$VERIFIER")
ACCESS_TOKEN=$(printf '%s' "$TOKEN_RESPONSE" | sed -n 's/.*"access_token":"\\([^"]*\\)".*/\\1/p')
if [ -z "$ACCESS_TOKEN" ]; then
  echo "The token request failed: $TOKEN_RESPONSE" >&2
  exit 1
fi
echo "Step 6: access token $ACCESS_TOKEN"

# Step 7: the resource, with the token as a Bearer credential (RFC 6750 §2.1).
STATUS=$(curl -sS -o "$tmp/7.b" -w '%{http_code}' -H "Authorization: Bearer $ACCESS_TOKEN" "$RESOURCE")
echo "Step 7: HTTP $STATUS"
cat "$tmp/7.b"
echo
[ "$STATUS" = 200 ]
`
}
