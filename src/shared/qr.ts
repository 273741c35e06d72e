// QR codes of a URL, drawn locally (the lab is offline): for the terminal, so
// learners can scan the join URL from the teacher's screen, and as SVG for a
// page.

import QRCode from 'qrcode'

/** The QR code as text for a terminal (half-height blocks). */
export function qrTerminal(url: string): Promise<string> {
  return QRCode.toString(url, { type: 'terminal', small: true })
}

/** The QR code as an SVG document, to inline in a page. */
export function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { type: 'svg', margin: 2 })
}
