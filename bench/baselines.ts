import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort, type RunningServer } from '../tests/helpers/server.ts'

/**
 * A process's CPU time (user + system, ms) from /proc, in 10 ms ticks. Other processes on a
 * shared machine move req/s and latency a lot; the CPU a request costs the server moves far less.
 */
export function cpuTimeMs(pid: number) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10 // utime, stime in clock ticks (100 per second)
}

/** startServer does not say which process serves: find it by its database path. */
export function serverPid(server: RunningServer) {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (!cmdline.includes('server/index.ts')) continue
      if (fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`DATABASE_PATH=${server.databasePath}`)) return Number(entry)
    } catch {
      // gone, or not ours to read
    }
  }
  throw new Error(`no server process found for ${server.databasePath}`)
}

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

/** The same ceiling for a given body (the share card's PNG): bare node:http answering those bytes. */
export async function startBareBytes(body: Buffer, contentType: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-'))
  const file = path.join(dir, 'body')
  fs.writeFileSync(file, body)
  const port = await freePort()
  const code = `
    const body = require('node:fs').readFileSync(${JSON.stringify(file)})
    require('node:http').createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': ${JSON.stringify(contentType)}, 'Content-Length': body.length })
      res.end(body)
    }).listen(${port}, '127.0.0.1', () => console.log('ready'))`
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise((resolve) => child.stdout.once('data', resolve))
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      child.kill('SIGTERM')
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
