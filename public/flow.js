// The flow inspector, live: listens to /flow/events (server-sent events) and,
// on each `update`, fetches the flow section again and swaps it in.
// No framework, no inline script (the CSP allows scripts from 'self' only).
'use strict'
;(function () {
  var live = document.getElementById('flow-live')
  var status = document.getElementById('flow-live-status')
  if (!live || !('EventSource' in window)) return
  var busy = false
  var again = false

  function say(text) {
    if (status) status.textContent = text
  }

  // Folded bodies the reader opened stay open after the swap.
  function openKeys() {
    return Array.prototype.map.call(live.querySelectorAll('details[data-key][open]'), function (d) {
      return d.getAttribute('data-key')
    })
  }

  function reopen(keys) {
    keys.forEach(function (key) {
      var d = live.querySelector('details[data-key="' + CSS.escape(key) + '"]')
      if (d) d.open = true
    })
  }

  async function reload() {
    if (busy) {
      again = true
      return
    }
    busy = true
    try {
      do {
        again = false
        // With this browser's cookies: its browser id (or the lab key) decides which flows it sees.
        var res = await fetch(live.getAttribute('data-fragment'), {
          headers: { accept: 'text/html' },
          cache: 'no-store',
          credentials: 'same-origin',
        })
        var html = await res.text()
        var keys = openKeys()
        live.innerHTML = html
        reopen(keys)
        live.setAttribute('data-updated', String(Date.now()))
        say('Updated live at ' + new Date().toLocaleTimeString() + '.')
      } while (again)
    } catch (error) {
      say('Could not update (' + error.message + '); will try again on the next change.')
    } finally {
      busy = false
    }
  }

  var opens = 0
  var stopped = false
  var waited = false

  // 204 (this browser started no flow yet) and 429 (too many pages follow live)
  // close the stream for good; try again later, e.g. after a first Connect.
  function connect() {
    var events = new EventSource(live.getAttribute('data-events'))
    events.addEventListener('open', function () {
      say('Live: this page updates as the steps happen.')
      live.setAttribute('data-live', 'open')
      // After a reconnection (or a wait), changes may have been missed.
      if (opens++ > 0 || waited) reload()
      waited = false
    })
    events.addEventListener('update', reload)
    // The server closed this stream: this browser opened more inspector pages than follow live.
    events.addEventListener('closed', function () {
      stopped = true
      events.close()
      say('Live updates stopped: newer inspector pages of this browser follow the flows. Reload to follow here again.')
      live.setAttribute('data-live', 'closed')
    })
    events.addEventListener('error', function () {
      if (stopped) return
      if (events.readyState === EventSource.CLOSED) {
        say('Live updates start with your first flow (press Connect); this page checks again every few seconds.')
        live.setAttribute('data-live', 'waiting')
        waited = true
        setTimeout(connect, 5000)
        return
      }
      say('Live updates paused: reconnecting\u2026')
      live.setAttribute('data-live', 'reconnecting')
    })
  }
  connect()
})()
