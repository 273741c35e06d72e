// The flow inspector, live: listens to /flow/events (server-sent events); each
// `section` event carries this page's flow section, rendered for this browser,
// which is swapped in with no request. It comes in parts (&parts=1): the
// section with each exchange's <article> as a placeholder, and only the
// articles this stream was not sent before; the page puts it together again.
// (An `update` event, a reconnection, or an article missing fetches the
// section instead.)
// It never moves focus and does not chatter: while focus is inside the flow,
// the new exchanges wait behind a "show" button; otherwise they are swapped in
// and one polite status line says how many are new ("3 new exchanges · show").
// The "Show everything" link works without script (?detail=all); with script
// it unfolds every exchange in place.
// No framework, no inline script (the CSP allows scripts from 'self' only).
'use strict'
;(function () {
  var live = document.getElementById('flow-live')
  var status = document.getElementById('flow-live-status')
  var toggle = document.getElementById('flow-detail-toggle')
  if (!live) return
  var everything = toggle ? toggle.getAttribute('data-everything') === 'on' : false
  var busy = false
  var again = false
  var pending = null
  var unseen = 0
  var announceTimer = 0

  function say(text) {
    if (status) status.textContent = text
  }

  function exchangesOf(root) {
    var steps = root.querySelector('[data-exchanges]')
    return {
      id: steps ? steps.getAttribute('data-flow-id') : '',
      count: steps ? Number(steps.getAttribute('data-exchanges')) : 0,
    }
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

  function applyDetail() {
    var steps = live.querySelector('.flow-steps')
    if (steps) steps.classList.toggle('everything-on', everything)
    Array.prototype.forEach.call(live.querySelectorAll('details.everything'), function (d) {
      d.open = everything
    })
  }

  // One polite line, a moment after the last change: "3 new exchanges · show".
  function announce(newest) {
    clearTimeout(announceTimer)
    announceTimer = setTimeout(function () {
      if (!status || unseen === 0) return
      status.textContent = ''
      status.appendChild(
        document.createTextNode(unseen + (unseen === 1 ? ' new exchange' : ' new exchanges') + ' \u00b7 '),
      )
      var show = document.createElement(pending ? 'button' : 'a')
      show.textContent = 'show'
      if (pending) {
        show.type = 'button'
        show.className = 'link-button'
        show.addEventListener('click', function () {
          var html = pending
          pending = null
          unseen = 0
          swap(html, false)
          say('Showing the latest exchanges.')
        })
      } else {
        show.href = '#' + (newest || 'flow-live')
      }
      status.appendChild(show)
    }, 1500)
  }

  function swap(html, tell) {
    var before = exchangesOf(live)
    var keys = openKeys()
    live.innerHTML = html
    reopen(keys)
    if (everything) applyDetail()
    live.setAttribute('data-updated', String(Date.now()))
    if (!tell) return
    var after = exchangesOf(live)
    unseen += after.id === before.id ? Math.max(0, after.count - before.count) : after.count
    var all = live.querySelectorAll('article.exchange')
    announce(all.length > 0 ? all[all.length - 1].id : '')
  }

  // Swapping the section under the reader's focus would lose it: wait for "show".
  function show(html) {
    if (live.contains(document.activeElement)) {
      var probe = document.createElement('div')
      probe.innerHTML = html
      var now = exchangesOf(live)
      var next = exchangesOf(probe)
      unseen = next.id === now.id ? Math.max(0, next.count - now.count) : next.count
      pending = html
      announce('')
    } else {
      pending = null
      swap(html, true)
    }
  }

  // What this stream sent, by the article's id: a section in parts keeps its articles from here.
  var articles = {}
  var KEPT = /<article class="exchange" data-keep="([A-Za-z0-9_-]+)"><\/article>/g

  // The whole section from one in parts (null: an article is missing); a whole section as it came.
  function assemble(data) {
    if (!data.articles) return data.html
    var next = {}
    var whole = true
    var html = data.html.replace(KEPT, function (_, id) {
      var article = Object.prototype.hasOwnProperty.call(data.articles, id) ? data.articles[id] : articles[id]
      if (typeof article !== 'string') {
        whole = false
        return ''
      }
      next[id] = article
      return article
    })
    articles = next
    return whole ? html : null
  }

  // A pushed section: ignored while a fetch is under way (it swaps in what is newest anyway).
  function pushed(event) {
    var html
    try {
      html = assemble(JSON.parse(event.data))
    } catch (error) {
      return reload()
    }
    if (typeof html !== 'string') return reload()
    if (busy) {
      again = true
      return
    }
    show(html)
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
        show(await res.text())
      } while (again)
    } catch (error) {
      say('Could not update (' + error.message + '); will try again on the next change.')
    } finally {
      busy = false
    }
  }

  if (toggle) {
    toggle.addEventListener('click', function (event) {
      event.preventDefault()
      everything = !everything
      toggle.setAttribute('data-everything', everything ? 'on' : 'off')
      toggle.textContent = everything ? 'Show only what matters to OAuth' : 'Show everything in every exchange'
      var fragment = live.getAttribute('data-fragment').replace(/&detail=all$/, '')
      live.setAttribute('data-fragment', everything ? fragment + '&detail=all' : fragment)
      toggle.setAttribute('href', location.pathname + (everything ? '' : '?detail=all'))
      applyDetail()
    })
  }

  // Reading what is new resets the count.
  live.addEventListener('focusin', function () {
    if (!pending) unseen = 0
  })

  if (!('EventSource' in window)) return
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
    events.addEventListener('section', pushed)
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
