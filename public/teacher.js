// The teacher's view, live: the grid is pushed over /teacher/events
// (server-sent events, `event: grid` carries the grid itself) and swapped in
// when it changed. While focus is inside the grid the new one waits until focus
// leaves, so focus never moves. Where the stream cannot be had (no
// EventSource, or the server refused it), the grid (/teacher?fragment=1) is
// fetched every few seconds instead. No framework, no inline script (the CSP
// allows scripts from 'self' only).
'use strict'
;(function () {
  var live = document.getElementById('teacher-live')
  var status = document.getElementById('teacher-live-status')
  if (!live) return
  var url = live.getAttribute('data-fragment')
  var last = live.innerHTML
  var waiting = null
  var busy = false
  var polling = 0

  function show(html) {
    if (html === last) return
    if (live.contains(document.activeElement)) {
      waiting = html
      return
    }
    waiting = null
    live.innerHTML = html
    last = html
    live.setAttribute('data-updated', String(Date.now()))
    if (status) status.textContent = 'Updated at ' + new Date().toLocaleTimeString()
  }

  live.addEventListener('focusout', function () {
    // After focus has moved on: activeElement is the new target then.
    setTimeout(function () {
      if (waiting !== null) show(waiting)
    }, 0)
  })

  function refresh() {
    if (busy || document.hidden) return
    busy = true
    fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status)
        return res.text()
      })
      .then(show)
      .catch(function () {
        if (status) status.textContent = 'Could not update; trying again.'
      })
      .finally(function () {
        busy = false
      })
  }

  function poll() {
    if (!polling) polling = setInterval(refresh, 2000)
  }

  var source = live.getAttribute('data-events')
  if (!source || !('EventSource' in window)) return poll()
  var events = new EventSource(source)
  var opens = 0
  events.addEventListener('open', function () {
    live.setAttribute('data-live', 'open')
    // After a reconnection, changes may have been missed.
    if (opens++ > 0) refresh()
  })
  events.addEventListener('grid', function (event) {
    show(JSON.parse(event.data).html)
  })
  events.addEventListener('error', function () {
    if (events.readyState !== EventSource.CLOSED) return
    live.setAttribute('data-live', 'closed')
    poll()
  })
})()
