// Presentation mode of the flow inspector: ← and → move between the seven
// steps (the page's own Previous/Next links), Esc leaves. Without script the
// links do the same.
'use strict'
document.addEventListener('keydown', function (event) {
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return
  const ids = { ArrowLeft: 'present-prev', ArrowRight: 'present-next', Escape: 'present-leave' }
  const id = ids[event.key]
  if (id === undefined) return
  const link = document.getElementById(id)
  if (link === null) return
  event.preventDefault()
  window.location.assign(link.href)
})
