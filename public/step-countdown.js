// Step-through mode's held step 5: a live countdown of the code's lifetime.
// The page says when the code expires in words (it works without script); this
// adds the seconds left, counted from when the page arrived (the code was
// issued just before), so a learner's clock that is off does not matter.
;(function () {
  'use strict'
  var timer = document.querySelector('.countdown[data-seconds-left]')
  if (!timer) return
  var total = Number(timer.getAttribute('data-seconds-left'))
  if (!(total > 0)) return
  var start = performance.now()
  function words(seconds) {
    var m = Math.floor(seconds / 60)
    var s = seconds % 60
    return m > 0 ? m + ' min ' + (s < 10 ? '0' : '') + s + ' s' : s + ' s'
  }
  function tick() {
    var left = Math.max(0, total - Math.floor((performance.now() - start) / 1000))
    timer.textContent = left > 0 ? ' (' + words(left) + ' left)' : ' (expired: step 5 would now be refused)'
    timer.setAttribute('data-left', String(left))
    if (left > 0) window.setTimeout(tick, 1000)
  }
  timer.hidden = false
  tick()
})()
