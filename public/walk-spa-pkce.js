// The SPA walk's single-page app (views/client/walk-spa-pkce.eta), run in the
// learner's browser as a public client: RFC 7636 PKCE with the verifier made
// by WebCrypto and kept in sessionStorage; the code redeemed at /token and the
// resource called with fetch, across origins (CORS), with no secret. A file
// served by the lab, not an inline script: the pages' CSP is script-src 'self'.
'use strict'
;(function () {
  var spa = document.getElementById('spa')
  if (!spa) return
  var d = spa.dataset
  var KEY = 'oauth-lab-spa-pkce'
  var status = document.getElementById('spa-status')

  function say(text) {
    status.textContent = text
  }

  function base64url(bytes) {
    var s = ''
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i])
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  }

  // SHA-256 (FIPS 180-4) for a page opened over plain http on a LAN address,
  // where browsers hide crypto.subtle (it needs a secure context); on
  // localhost and https crypto.subtle.digest is used.
  function sha256Fallback(bytes) {
    var K = []
    var H = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    var n = 2
    while (K.length < 64) {
      var prime = true
      for (var f = 2; f * f <= n; f++) if (n % f === 0) prime = false
      if (prime) K.push(((Math.pow(n, 1 / 3) % 1) * 4294967296) | 0)
      n++
    }
    var len = bytes.length
    var padded = new Uint8Array(((len + 9 + 63) >> 6) << 6)
    padded.set(bytes)
    padded[len] = 0x80
    var view = new DataView(padded.buffer)
    view.setUint32(padded.length - 4, len * 8)
    view.setUint32(padded.length - 8, Math.floor(len / 0x20000000))
    var w = new Array(64)
    for (var off = 0; off < padded.length; off += 64) {
      for (var t = 0; t < 16; t++) w[t] = view.getUint32(off + t * 4)
      for (t = 16; t < 64; t++) {
        var a = w[t - 15],
          b = w[t - 2]
        var s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3)
        var s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10)
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0
      }
      var h = H.slice()
      for (t = 0; t < 64; t++) {
        var e = h[4]
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
        var t1 = (h[7] + S1 + ((e & h[5]) ^ (~e & h[6])) + K[t] + w[t]) | 0
        var x = h[0]
        var S0 = ((x >>> 2) | (x << 30)) ^ ((x >>> 13) | (x << 19)) ^ ((x >>> 22) | (x << 10))
        var t2 = (S0 + ((x & h[1]) ^ (x & h[2]) ^ (h[1] & h[2]))) | 0
        h = [(t1 + t2) | 0, x, h[1], h[2], (h[3] + t1) | 0, e, h[5], h[6]]
      }
      for (t = 0; t < 8; t++) H[t] = (H[t] + h[t]) | 0
    }
    var out = new Uint8Array(32)
    var outView = new DataView(out.buffer)
    for (t = 0; t < 8; t++) outView.setUint32(t * 4, H[t])
    return out
  }

  function sha256(text) {
    var bytes = new TextEncoder().encode(text)
    if (window.crypto.subtle) {
      return window.crypto.subtle.digest('SHA-256', bytes).then(function (buf) {
        return new Uint8Array(buf)
      })
    }
    return Promise.resolve(sha256Fallback(bytes))
  }

  function authorizePhase() {
    var make = document.getElementById('spa-make-pkce')
    var go = document.getElementById('spa-authorize')
    var challenge
    make.addEventListener('click', function () {
      // RFC 7636 §4.1: 32 random octets, base64url: a 43-character verifier.
      var verifier = base64url(window.crypto.getRandomValues(new Uint8Array(32)))
      sha256(verifier).then(function (hash) {
        challenge = base64url(hash)
        sessionStorage.setItem(KEY, JSON.stringify({ verifier: verifier, state: d.state }))
        document.getElementById('spa-verifier').textContent = verifier
        document.getElementById('spa-challenge').textContent = challenge
        document.getElementById('spa-pkce').hidden = false
        go.disabled = false
        say('The verifier is in sessionStorage; the challenge is ready for the authorization request.')
      })
    })
    go.addEventListener('click', function () {
      // RFC 6749 §4.1.1 with RFC 7636 §4.3: the challenge, never the verifier.
      var query = new URLSearchParams({
        response_type: 'code',
        client_id: d.clientId,
        redirect_uri: d.redirectUri,
        scope: d.scope,
        state: d.state,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      })
      window.location.assign(d.authorizeEndpoint + '?' + query.toString())
    })
  }

  function show(id, text) {
    var out = document.getElementById(id)
    out.firstElementChild.textContent = text
    out.hidden = false
  }

  function field(name, value) {
    document.querySelector('#spa-report input[name="' + name + '"]').value = value
  }

  function attempt(request) {
    return request.then(
      function (response) {
        return response.text().then(function (text) {
          return { status: response.status, text: text, challenge: response.headers.get('www-authenticate') }
        })
      },
      function (error) {
        // A CORS refusal is a network error to the page: the browser withholds the answer.
        return { status: 0, text: 'The browser blocked or lost the answer: ' + String(error) }
      },
    )
  }

  function redeemPhase() {
    var tokenButton = document.getElementById('spa-token')
    var resourceButton = document.getElementById('spa-resource')
    var back = document.getElementById('spa-back')
    var accessToken
    tokenButton.addEventListener('click', function () {
      var kept = JSON.parse(sessionStorage.getItem(KEY) || '{}')
      if (!kept.verifier) {
        say('No code_verifier in this tab\u2019s sessionStorage: step 1 ran in another tab. Start the walk again.')
        return
      }
      tokenButton.disabled = true
      // RFC 6749 §4.1.3 and §3.2.1: a public client names itself with client_id, no Authorization header;
      // RFC 7636 §4.5: the verifier. A form body is a CORS-safelisted request: no preflight.
      var form = new URLSearchParams({
        grant_type: 'authorization_code',
        code: d.code,
        redirect_uri: d.redirectUri,
        client_id: d.clientId,
        code_verifier: kept.verifier,
      })
      attempt(fetch(d.tokenEndpoint, { method: 'POST', body: form })).then(function (answer) {
        sessionStorage.removeItem(KEY)
        var json = {}
        try {
          json = JSON.parse(answer.text)
        } catch (e) {
          json = {}
        }
        var lines =
          answer.status === 200
            ? [
                'token_type ' + json.token_type + ', expires_in ' + json.expires_in + ' s, scope "' + json.scope + '"',
                'access_token ' + String(json.access_token).slice(0, 16) + '\u2026',
                json.refresh_token ? 'and a refresh_token' : 'no refresh_token',
              ]
            : [json.error ? json.error + ': ' + (json.error_description || '') : answer.text]
        show('spa-token-out', 'HTTP ' + answer.status + '\n' + lines.join('\n'))
        field('token_status', String(answer.status))
        field('token_lines', lines.join('\n'))
        back.disabled = false
        if (answer.status === 200) {
          accessToken = json.access_token
          resourceButton.disabled = false
          say('The token endpoint answered this origin: the browser let the page read the token.')
        } else say('The token endpoint refused.')
      })
    })
    resourceButton.addEventListener('click', function () {
      resourceButton.disabled = true
      // RFC 6750 §2.1: Authorization is not CORS-safelisted, so the browser asks first (a preflight OPTIONS).
      var call = fetch(d.resourceUrl, {
        headers: { authorization: 'Bearer ' + accessToken, accept: 'application/json' },
      })
      attempt(call).then(function (answer) {
        var lines = [answer.status === 200 ? answer.text : answer.challenge || answer.text]
        show('spa-resource-out', 'HTTP ' + answer.status + '\n' + lines.join('\n'))
        field('resource_status', String(answer.status))
        field('resource_lines', lines.join('\n'))
        say(answer.status === 200 ? 'The resource server answered this origin too.' : 'The resource server refused.')
      })
    })
  }

  if (d.phase === 'authorize') authorizePhase()
  else redeemPhase()
})()
