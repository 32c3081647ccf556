import { spawn } from 'node:child_process'
import { freePort } from '../tests/helpers/server.ts'

/** The machine's ceiling: bare node:http answering a fixed 10 kB page, in its own process. */
export async function startBare() {
  const port = await freePort()
  const code = `
    const body = '<!doctype html><html><body>' + 'x'.repeat(10 * 1024) + '</body></html>'
    require('node:http').createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(body) })
      res.end(body)
    }).listen(${port}, '127.0.0.1', () => console.log('ready'))`
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise((resolve) => child.stdout.once('data', resolve))
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') }
}
