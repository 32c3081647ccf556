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

/** The serving process (startServer spawns Node itself, so its child is the server). */
export function serverPid(server: RunningServer) {
  return server.pid
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

/**
 * BENCH_APP_CORES=0.4: each app process gets at most that share of a core (a cgroup of its own,
 * CFS quota), so that on a machine whose cores the database and the load generator share, one
 * process and two can be compared where the app tier, not the machine, is the limit. Answers
 * what it did, or why it could not (no cgroup CPU controller, not root).
 */
export function capAppCpu(pid: number, cores: number, name: string): string {
  // A short period: the process is stopped for at most a few ms at a time, not for most of 100 ms.
  const period = 10_000
  const quota = Math.max(1000, Math.round(cores * period))
  try {
    if (fs.existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')) {
      const dir = `/sys/fs/cgroup/cpu/vigil-bench-${name}`
      fs.mkdirSync(dir, { recursive: true })
      fs.writeFileSync(`${dir}/cpu.cfs_period_us`, String(period))
      fs.writeFileSync(`${dir}/cpu.cfs_quota_us`, String(quota))
      fs.writeFileSync(`${dir}/cgroup.procs`, String(pid))
    } else if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      const dir = `/sys/fs/cgroup/vigil-bench-${name}`
      fs.mkdirSync(dir, { recursive: true })
      fs.writeFileSync(`${dir}/cpu.max`, `${quota} ${period}`)
      fs.writeFileSync(`${dir}/cgroup.procs`, String(pid))
    } else {
      return 'not capped: no cgroup CPU controller'
    }
    return `capped at ${cores} of a core`
  } catch (error) {
    return `not capped: ${(error as Error).message}`
  }
}
