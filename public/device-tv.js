// The device walk's TV screen: counts the device code's lifetime down and,
// when asked, polls at the interval the server gave (RFC 8628 §3.5) through
// the client app (POST /walk/device/tv/poll), which makes the real token
// request. No framework, no inline script (the CSP allows 'self' only).
'use strict'
;(function () {
  var tv = document.getElementById('tv')
  if (!tv) return
  var expiresAt = Number(tv.getAttribute('data-expires-at'))
  var interval = Number(tv.getAttribute('data-interval')) || 5
  var remaining = document.getElementById('tv-remaining')
  var status = document.getElementById('tv-status')
  var auto = document.getElementById('tv-auto')
  var intervalText = document.getElementById('tv-interval')
  var timer

  function tick() {
    var left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000))
    if (remaining) remaining.textContent = String(left)
  }
  setInterval(tick, 1000)
  tick()

  function schedule() {
    clearTimeout(timer)
    if (auto && auto.checked) timer = setTimeout(poll, interval * 1000)
  }

  function poll() {
    var body = new URLSearchParams({ _csrf: tv.getAttribute('data-csrf') || '' })
    fetch(tv.getAttribute('data-poll-url'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    })
      .then(function (res) {
        return res.json()
      })
      .then(function (answer) {
        if (status) status.textContent = answer.status
        if (answer.interval) {
          interval = answer.interval
          if (intervalText) intervalText.textContent = String(interval)
        }
        if (answer.polling) schedule()
        else if (auto) auto.checked = false
      })
      .catch(function () {
        if (status) status.textContent = 'The poll failed; trying again.'
        schedule()
      })
  }

  if (auto) auto.addEventListener('change', schedule)
})()
