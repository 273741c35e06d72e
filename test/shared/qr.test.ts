import QRCode from 'qrcode'
import { describe, expect, it } from 'vitest'
import { qrSvg, qrTerminal } from '../../src/shared/qr.js'

const URL_TO_JOIN = 'http://192.168.1.20:3000/join'

/** The dark modules of the QR code that encodes `text`, row by row. */
function modulesOf(text: string): boolean[][] {
  const { modules } = QRCode.create(text, {})
  return Array.from({ length: modules.size }, (_, y) =>
    Array.from({ length: modules.size }, (_, x) => modules.get(y, x) !== 0),
  )
}

// The terminal drawing read back: each character is two modules, top and bottom.
const HALVES: Readonly<Record<string, readonly [boolean, boolean]>> = {
  ' ': [false, false],
  '▄': [false, true],
  '▀': [true, false],
  '█': [true, true],
}

function readTerminal(drawing: string, size: number): boolean[][] {
  // eslint-disable-next-line no-control-regex
  const lines = drawing.replace(/\x1b\[\d+m/g, '').split('\n')
  const grid: boolean[][] = Array.from({ length: size }, () => Array<boolean>(size).fill(false))
  // Line i holds rows 2i-1 and 2i (row -1 is the quiet zone); column 0 is the quiet zone too.
  lines.slice(0, Math.ceil((size + 1) / 2)).forEach((line, i) => {
    ;[...line].slice(1, size + 1).forEach((char, x) => {
      const [top, bottom] = HALVES[char] ?? [false, false]
      if (2 * i - 1 >= 0) (grid[2 * i - 1] as boolean[])[x] = top
      if (2 * i < size) (grid[2 * i] as boolean[])[x] = bottom
    })
  })
  return grid
}

/** The SVG's dark path (`M x y.5 h n m dx 0 h n …`) read back into modules. */
function readSvg(svg: string, size: number, margin: number): boolean[][] {
  const grid: boolean[][] = Array.from({ length: size }, () => Array<boolean>(size).fill(false))
  const d = /<path stroke="#000000" d="([^"]+)"\/>/.exec(svg)?.[1] ?? ''
  let x = 0
  let y = 0
  for (const [, cmd, a, b] of d.matchAll(/([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
    const n = Number(a)
    if (cmd === 'M') [x, y] = [n, Number(b)]
    else if (cmd === 'm') x += n
    else {
      for (let i = 0; i < n; i++) (grid[y - 0.5 - margin] as boolean[])[x - margin + i] = true
      x += n
    }
  }
  return grid
}

describe('QR codes of the join URL', () => {
  it('draws in the terminal the very code of the URL, the same each time', async () => {
    const drawing = await qrTerminal(URL_TO_JOIN)
    expect(drawing.trim()).not.toBe('')
    expect(await qrTerminal(URL_TO_JOIN)).toBe(drawing)
    expect(await qrTerminal('http://10.0.0.5:3000/join')).not.toBe(drawing)
    const expected = modulesOf(URL_TO_JOIN)
    expect(readTerminal(drawing, expected.length)).toEqual(expected)
  })

  it('makes a well-formed SVG of the same code', async () => {
    const svg = await qrSvg(URL_TO_JOIN)
    expect(await qrSvg(URL_TO_JOIN)).toBe(svg)
    expect(svg.trim()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 (\d+) \1"[^>]*>.*<\/svg>$/s)
    // Every element closed: two self-closing paths inside one svg element, nothing else.
    const tags = svg.match(/<[^>]+>/g) ?? []
    expect(tags.map((t) => (t.endsWith('/>') ? 'empty' : t.startsWith('</') ? 'close' : 'open'))).toEqual([
      'open',
      'empty',
      'empty',
      'close',
    ])
    const expected = modulesOf(URL_TO_JOIN)
    expect(svg).toContain(`viewBox="0 0 ${expected.length + 4} ${expected.length + 4}"`)
    expect(readSvg(svg, expected.length, 2)).toEqual(expected)
  })
})
