import { Transform } from 'node:stream'

const END = Buffer.from('</body></html>')

/**
 * React writes the document's closing `</body></html>` with the shell, and Remix's
 * single-fetch data (a Suspense boundary beside the document) streams after it: scripts
 * after the end of the document, which browsers move into the body but validators call
 * stray tags. This passes the stream through unchanged except that the first
 * `</body></html>` is held back and written when the stream ends, so the streamed scripts
 * land inside the body. Only the last few bytes of each chunk wait (in case the closing
 * tags are split across chunks); everything else streams as it comes.
 */
export function holdDocumentEnd() {
  let held = false
  let tail = Buffer.alloc(0)
  return new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      let data = tail.length ? Buffer.concat([tail, Buffer.from(chunk)]) : Buffer.from(chunk)
      tail = Buffer.alloc(0)
      if (!held) {
        const at = data.indexOf(END)
        if (at !== -1) {
          held = true
          data = Buffer.concat([data.subarray(0, at), data.subarray(at + END.length)])
        } else {
          // Keep back what could be the start of a split `</body></html>`.
          const keep = Math.min(END.length - 1, data.length)
          tail = data.subarray(data.length - keep)
          data = data.subarray(0, data.length - keep)
        }
      }
      callback(null, data.length ? data : undefined)
    },
    flush(callback) {
      callback(null, held ? Buffer.concat([tail, END]) : tail.length ? tail : undefined)
    },
  })
}
