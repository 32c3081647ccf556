import { Transform } from 'node:stream'

const END = Buffer.from('</body></html>')

/**
 * React writes the document's closing `</body></html>` with the shell, and Remix's
 * single-fetch data (a Suspense boundary beside the document) streams after it: scripts
 * after the end of the document, which browsers move into the body but validators call
 * stray tags. This passes the stream through unchanged except that the first
 * `</body></html>` is held back and written when the stream ends, so the streamed scripts
 * land inside the body.
 *
 * It also gathers the small pieces React writes in one go (2 kB each) and passes them on
 * together at the end of the tick: the shell leaves as one write rather than twenty, each
 * of which would otherwise be a compression flush and a packet. Streaming is kept: what
 * React writes later goes out in the tick it is written.
 *
 * And it drops the NUL bytes React 18 leaves at the end of a 2 kB piece when a multi-byte
 * character did not fit in it (facebook/react#26228, fixed only in React 19).
 */
export function holdDocumentEnd() {
  let held = false
  let pending: Buffer[] = []
  let scheduled = false
  const stream = new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      pending.push(withoutTrailingNuls(Buffer.from(chunk)))
      if (!scheduled) {
        scheduled = true
        setImmediate(() => {
          scheduled = false
          const data = take(false)
          if (data.length) stream.push(data)
        })
      }
      callback()
    },
    flush(callback) {
      const data = take(true)
      callback(null, held ? Buffer.concat([data, END]) : data.length ? data : undefined)
    },
  })
  /** What can go out now: everything but the held `</body></html>` and, before it is found, the bytes that could begin it. */
  function take(ending: boolean) {
    const data = Buffer.concat(pending)
    pending = []
    if (held) return data
    const at = data.indexOf(END)
    if (at !== -1) {
      held = true
      return Buffer.concat([data.subarray(0, at), data.subarray(at + END.length)])
    }
    if (ending) return data
    const keep = Math.min(END.length - 1, data.length)
    if (keep) pending.push(data.subarray(data.length - keep))
    return data.subarray(0, data.length - keep)
  }
  return stream
}

/** React 18 sends its whole 2 kB buffer even when the last 1–3 bytes were left unwritten (zeros); HTML never ends a piece with NUL. */
function withoutTrailingNuls(chunk: Buffer) {
  let end = chunk.length
  while (end > 0 && chunk.length - end < 3 && chunk[end - 1] === 0) end--
  return end === chunk.length ? chunk : chunk.subarray(0, end)
}
