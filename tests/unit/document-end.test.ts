import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { holdDocumentEnd } from '~/utils/document-end.server.ts'

async function through(chunks: string[]) {
  return (await buffer(Readable.from(chunks.map((c) => Buffer.from(c))).pipe(holdDocumentEnd()))).toString()
}

const SHELL = '<!DOCTYPE html><html lang="en"><head><title>é</title></head><body><main>Ünïcode</main><script>boot()</script></body></html>'
const STREAMED = '<div hidden id="S:0"><script>enqueue()</script></div><script>$RC("B:0","S:0")</script>'

describe('holdDocumentEnd', () => {
  it('moves the scripts streamed after </html> inside the body', async () => {
    expect(await through([SHELL, STREAMED])).toBe(SHELL.replace('</body></html>', '') + STREAMED + '</body></html>')
  })

  it('finds the closing tags split across chunks at every position, multi-byte characters intact', async () => {
    const whole = SHELL + STREAMED
    const expected = SHELL.replace('</body></html>', '') + STREAMED + '</body></html>'
    for (let cut = 1; cut < whole.length; cut++) {
      expect(await through([whole.slice(0, cut), whole.slice(cut)])).toBe(expected)
    }
  })

  it('leaves a document with nothing streamed after it as it was, and one without the tags untouched', async () => {
    expect(await through([SHELL])).toBe(SHELL)
    expect(await through(['plain', ' text'])).toBe('plain text')
  })

  it('passes the pieces written in one tick on as one, and what comes later when it comes', async () => {
    const stream = holdDocumentEnd()
    const seen: string[] = []
    stream.on('data', (d: Buffer) => seen.push(d.toString()))
    const shell = SHELL.match(/.{1,7}/gs)!
    for (const piece of shell) stream.write(piece)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(seen).toEqual([SHELL.replace('</body></html>', '')])
    stream.write(STREAMED)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(seen).toHaveLength(2)
    stream.end()
    await new Promise((resolve) => stream.on('end', resolve))
    expect(seen.join('')).toBe(SHELL.replace('</body></html>', '') + STREAMED + '</body></html>')
  })
})
