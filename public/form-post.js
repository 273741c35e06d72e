// OAuth 2.0 Form Post Response Mode: sends the authorization response form at
// once. A file served by the lab, not an inline script, so that the pages' CSP
// (script-src 'self') lets it run; without script the Continue button does it.
'use strict'
;(function () {
  var form = document.getElementById('form-post-response')
  if (form) form.submit()
})()
