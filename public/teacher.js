// The teacher's view, live: fetches the grid (/teacher?fragment=1) every few
// seconds and swaps it in when it changed. No framework, no inline script
// (the CSP allows scripts from 'self' only). It never moves focus.
'use strict'
;(function () {
  var live = document.getElementById('teacher-live')
  var status = document.getElementById('teacher-live-status')
  if (!live) return
  var url = live.getAttribute('data-fragment')
  var last = live.innerHTML
  var busy = false

  function refresh() {
    if (busy || document.hidden) return
    busy = true
    fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status)
        return res.text()
      })
      .then(function (html) {
        if (html !== last && !live.contains(document.activeElement)) {
          live.innerHTML = html
          last = html
          if (status) status.textContent = 'Updated at ' + new Date().toLocaleTimeString()
        }
      })
      .catch(function () {
        if (status) status.textContent = 'Could not update; trying again.'
      })
      .finally(function () {
        busy = false
      })
  }

  setInterval(refresh, 2000)
})()
