// sqlite-only: the nginx and Caddy examples and which client address Vigil sees through them; signing and saving through Vigil run on both engines elsewhere.
/**
 * The reverse-proxy examples in docs/deploy/, run for real: the built server with TRUST_PROXY=1
 * behind Debian's nginx and Caddy, each started from the shipped file with only its listen and
 * TLS lines, host name and upstream changed (plain HTTP on a loopback port). Each proxy gets its
 * own Vigil, whose PUBLIC_URL is that proxy's address. Test clients connect from their own
 * loopback addresses (127.0.0.x), so each is a different client to the proxy and to the limits.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoCampaign } from '../../scripts/seed/content.ts'
import { h1Text } from '../helpers/html.ts'
import { openServerSql, type ServerSql } from '../helpers/sql.ts'
import { freePort, ROOT, startServer, type RunningServer } from '../helpers/server.ts'

const DEPLOY = path.join(ROOT, 'docs/deploy')
const CAMPAIGN = `/c/${demoCampaign.slug}`
const DEMO = { email: 'demo@vigil.example', password: 'vigil-demo-2026' }

type Proxy = { url: string; output: () => string; stop: () => Promise<void>; redirectUrl?: string }
type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string }

/** A debian package's program, or a failure that names the package (CI installs it; never a silent skip). */
function requireProgram(program: string, aptPackage: string) {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin']
  const found = dirs.map((dir) => path.join(dir, program)).find((file) => fs.existsSync(file))
  if (!found) throw new Error(`${program} is not installed: run \`apt-get install -y ${aptPackage}\` (bash .ci/run does).`)
  return found
}

/** Replace what a test rendering must change; each rule must match, so an edited example is never tested half-rendered. */
function render(source: string, rules: [RegExp, string][]) {
  return rules.reduce((text, [pattern, replacement]) => {
    if (text.search(pattern) === -1) throw new Error(`the deploy example no longer has ${pattern}: update the test rendering`)
    return text.replace(pattern, replacement)
  }, source)
}

/** One request from a chosen loopback address (node:http: fetch cannot pick its source address). */
function request(
  url: string,
  { method = 'GET', headers = {}, body, from }: { method?: string; headers?: Record<string, string>; body?: string; from: string },
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(url, { method, headers, localAddress: from }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

function form(fields: Record<string, string>) {
  return new URLSearchParams(fields).toString()
}

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' }
let signers = 0
const signer = () => form({ firstName: 'Maria', lastName: 'González', email: `maria.${++signers}@example.org`, country: 'DE' })

function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  return { child, output: () => output }
}

async function stopProcess(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timeout = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timeout)
}

/** Wait until the proxy answers /healthz from Vigil, or fail with what the proxy printed. */
async function waitForProxy(url: string, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the proxy exited with ${child.exitCode}:\n${output()}`)
    const answer = await request(`${url}/healthz`, { from: '127.0.0.1' }).catch(() => null)
    if (answer?.status === 200) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`the proxy did not answer within 10 s:\n${output()}`)
}

async function startNginx({ port, redirectPort, upstreamPort }: { port: number; redirectPort: number; upstreamPort: number }): Promise<Proxy> {
  const nginx = requireProgram('nginx', 'nginx-light')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-nginx-'))
  // Workers run as an unprivileged user and write their temporary files below this folder.
  fs.chmodSync(dir, 0o755)
  const site = render(fs.readFileSync(path.join(DEPLOY, 'nginx.conf'), 'utf8'), [
    [/^\s*listen \[::\]:.*\n/gm, ''],
    [/listen 80( default_server)?;/g, `listen 127.0.0.1:${redirectPort}$1;`],
    [/listen 443 ssl( http2)?( default_server)?;/g, `listen 127.0.0.1:${port}$2;`],
    [/^\s*ssl_.*\n/gm, ''],
    [/campaigns\.example\.org/g, '127.0.0.1'],
    [/server 127\.0\.0\.1:3000;/, `server 127.0.0.1:${upstreamPort};`],
    [/error_log \/var\/log\/nginx\/error\.log/, `error_log ${dir}/error.log`],
  ])
  fs.writeFileSync(path.join(dir, 'vigil.conf'), site)
  // What Debian's /etc/nginx/nginx.conf provides around a site file, kept inside the tmp folder.
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `${kind}_temp_path ${dir}/${kind};`)
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      'worker_processes 1;',
      `error_log ${dir}/error.log;`,
      'events { worker_connections 256; }',
      `http { ${temp.join(' ')} include ${dir}/vigil.conf; }`,
    ].join('\n'),
  )
  const { child, output } = startProcess(nginx, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', `daemon off; pid ${dir}/nginx.pid;`], process.env)
  const log = () => output() + (fs.existsSync(`${dir}/error.log`) ? fs.readFileSync(`${dir}/error.log`, 'utf8') : '')
  const url = `http://127.0.0.1:${port}`
  const proxy = {
    url,
    redirectUrl: `http://127.0.0.1:${redirectPort}`,
    output: log,
    stop: async () => {
      await stopProcess(child)
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
  try {
    await waitForProxy(url, child, log)
  } catch (error) {
    await proxy.stop()
    throw error
  }
  return proxy
}

async function startCaddy({ port, upstreamPort }: { port: number; upstreamPort: number }): Promise<Proxy> {
  const caddy = requireProgram('caddy', 'caddy')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-caddy-'))
  const config = render(fs.readFileSync(path.join(DEPLOY, 'Caddyfile'), 'utf8'), [
    [/^\{\n/m, '{\n\tadmin off\n\tauto_https off\n'],
    [/^campaigns\.example\.org \{/m, `http://127.0.0.1:${port} {`],
    [/reverse_proxy 127\.0\.0\.1:3000/, `reverse_proxy 127.0.0.1:${upstreamPort}`],
  ])
  const file = path.join(dir, 'Caddyfile')
  fs.writeFileSync(file, config)
  // Caddy keeps its state (certificates, autosave) under HOME / XDG folders: keep them in the tmp folder.
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir }
  const { child, output } = startProcess(caddy, ['run', '--config', file, '--adapter', 'caddyfile'], env)
  const url = `http://127.0.0.1:${port}`
  const proxy = {
    url,
    output,
    stop: async () => {
      await stopProcess(child)
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
  try {
    await waitForProxy(url, child, output)
  } catch (error) {
    await proxy.stop()
    throw error
  }
  return proxy
}

type Stack = { server: RunningServer; proxy: Proxy; db: ServerSql }
type StartProxy = (ports: { port: number; upstreamPort: number }) => Promise<Proxy>

/** A Vigil of its own behind one proxy; PUBLIC_URL is the proxy's address. */
async function startStack(start: StartProxy): Promise<Stack> {
  const port = await freePort()
  const server = await startServer({ env: { TRUST_PROXY: '1', PUBLIC_URL: `http://127.0.0.1:${port}`, SIGN_LIMIT_PER_10_MIN: '2' } })
  try {
    const proxy = await start({ port, upstreamPort: server.port })
    return { server, proxy, db: openServerSql(server) }
  } catch (error) {
    await server.stop()
    throw error
  }
}

const PROXIES: Record<string, StartProxy> = {
  nginx: async ({ port, upstreamPort }) => startNginx({ port, redirectPort: await freePort(), upstreamPort }),
  Caddy: startCaddy,
}
const stacks = new Map<string, Stack>()

// Both stacks start at once: seeding and starting Vigil is most of this file's time.
beforeAll(async () => {
  const names = Object.keys(PROXIES)
  const started = await Promise.allSettled(names.map((name) => startStack(PROXIES[name]!)))
  started.forEach((result, i) => result.status === 'fulfilled' && stacks.set(names[i]!, result.value))
  const failed = started.find((result) => result.status === 'rejected')
  if (failed) throw failed.reason
})

afterAll(async () => {
  await Promise.all(
    [...stacks.values()].map(async ({ server, proxy, db }) => {
      await db.close()
      await proxy.stop()
      await server.stop()
    }),
  )
})

/** The same behaviour is asked of each proxy. */
function behindProxy(name: string, { clients, more }: { clients: number; more?: (proxy: () => Proxy) => void }) {
  describe(`behind ${name}`, () => {
    let proxy: Proxy
    let db: ServerSql
    // Each test speaks from its own loopback address: a client of its own to the proxy.
    const from = (n: number) => `127.0.${clients}.${n}`

    beforeAll(() => {
      const stack = stacks.get(name)
      if (!stack) throw new Error(`${name} did not start`)
      ;({ proxy, db } = stack)
    })

    it('serves the campaign page, compressed', async () => {
      const page = await request(`${proxy.url}${CAMPAIGN}`, { from: from(1) })
      expect(page.status).toBe(200)
      expect(h1Text(page.body)).toBe(demoCampaign.translations.en.title)
      const compressed = await request(`${proxy.url}${CAMPAIGN}`, { from: from(1), headers: { 'Accept-Encoding': 'gzip' } })
      expect(compressed.status).toBe(200)
      expect(compressed.headers['content-encoding']).toBe('gzip')
      // Organisers' pages and private links are never compressed, by Vigil or by the proxy (ADR 014).
      for (const target of ['/admin/login', '/thanks/free-andry']) {
        const plain = await request(`${proxy.url}${target}`, { from: from(1), headers: { 'Accept-Encoding': 'gzip, br, zstd' } })
        expect(plain.status, target).toBe(200)
        expect(plain.headers['content-encoding'], target).toBeUndefined()
      }
    })

    it('takes a signature posted by the campaign page’s own form (no JavaScript)', async () => {
      const signed = await request(`${proxy.url}${CAMPAIGN}`, {
        method: 'POST',
        from: from(2),
        headers: { ...FORM, Origin: proxy.url },
        body: signer(),
      })
      expect(signed.status, signed.body.slice(0, 300)).toBe(303)
      expect(signed.headers.location).toBe(`${CAMPAIGN}?signed=1#petition`)
    })

    it('lets an organiser log in and save a form through the proxy, and keeps the back office out of caches', async () => {
      const login = await request(`${proxy.url}/admin/login`, {
        method: 'POST',
        from: from(3),
        headers: { ...FORM, Origin: proxy.url },
        body: form(DEMO),
      })
      expect(login.status, login.body.slice(0, 300)).toBe(302)
      const cookie = login.headers['set-cookie']?.[0]?.split(';')[0]
      expect(cookie).toMatch(/^vigil_session=/)

      const { id } = (await db.get(`SELECT id FROM campaigns WHERE slug = ?`, demoCampaign.slug)) as { id: number }
      const timeline = `/admin/campaigns/${id}/timeline`
      const saved = await request(`${proxy.url}${timeline}`, {
        method: 'POST',
        from: from(3),
        headers: { ...FORM, Origin: proxy.url, Cookie: cookie! },
        body: form({ happenedOn: '2025-01-03', locale: 'en', title: `Through ${name}`, bodyMd: '' }),
      })
      expect(saved.status, saved.body.slice(0, 300)).toBe(302)
      const entry = (await db.all(`SELECT update_id AS id FROM update_translations WHERE title = ?`, `Through ${name}`)) as { id: number }[]
      expect(entry).toHaveLength(1)
      expect(saved.headers.location).toBe(`${timeline}?saved=${entry[0]!.id}`)

      const page = await request(`${proxy.url}/admin`, { from: from(3), headers: { Cookie: cookie! } })
      expect(page.status).toBe(200)
      expect(page.headers['cache-control']).toBe('no-store')
    })

    it('counts signatures by the address the proxy saw, whatever X-Forwarded-For the client sends', async () => {
      const statuses: number[] = []
      for (let i = 1; i <= 3; i++) {
        const answer = await request(`${proxy.url}${CAMPAIGN}`, {
          method: 'POST',
          from: from(4),
          headers: { ...FORM, Origin: proxy.url, 'X-Forwarded-For': `198.51.100.${i}` },
          body: signer(),
        })
        statuses.push(answer.status)
      }
      // SIGN_LIMIT_PER_10_MIN=2: the third signature from one client is refused.
      expect(statuses).toEqual([303, 303, 429])
    })

    it('refuses a body over 12 MiB before Vigil reads it', async () => {
      const answer = await request(`${proxy.url}${CAMPAIGN}`, {
        method: 'POST',
        from: from(5),
        headers: { ...FORM, Origin: proxy.url },
        body: 'a='.padEnd(12 * 1024 * 1024 + 1, 'x'),
      })
      expect(answer.status).toBe(413)
    })

    more?.(() => proxy)
  })
}

behindProxy('nginx', {
  clients: 10,
  more: (proxy) => {
    it('sends plain http to https and answers no other host name', async () => {
      const plain = await request(`${proxy().redirectUrl}${CAMPAIGN}`, { from: '127.0.10.6' })
      expect(plain.status).toBe(301)
      expect(plain.headers.location).toBe(`https://127.0.0.1${CAMPAIGN}`)
      // nginx's 444: the connection is closed without an answer.
      await expect(request(`${proxy().url}${CAMPAIGN}`, { from: '127.0.10.6', headers: { Host: 'vigil.attacker.example' } })).rejects.toThrow(
        /socket hang up|ECONNRESET/,
      )
    })
  },
})
behindProxy('Caddy', { clients: 20 })
