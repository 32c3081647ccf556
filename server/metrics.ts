/**
 * GET /metrics: this process's figures in Prometheus' text format (app/utils/metrics.server.ts),
 * only for `Authorization: Bearer <METRICS_TOKEN>`. Without METRICS_TOKEN the path does not
 * exist (the app's 404); a missing or wrong token is a 401, compared in constant time. The
 * outbox figures are read from the database at scrape time (one read transaction, not the
 * pages' one-second memo), left out when that read fails; `vigil_database_up` says whether
 * the database answered `select 1`.
 */
import crypto from 'node:crypto'
import http from 'node:http'
import { securityHeaders } from './headers.ts'
import type { DB } from '../db/client.server.ts'
import { pingDatabase } from '../db/health.server.ts'
import { computeOutboxStats } from '../app/models/outbox-stats.server.ts'
import { renderMetrics, type ScrapeGauges } from '../app/utils/metrics.server.ts'

const SCRAPE_READ_TIMEOUT_MS = 2000

const digest = (value: string) => crypto.createHash('sha256').update(value).digest()

/** Equal digests of equal length: the time taken says nothing about how much of the token matched. */
export function tokenMatches(header: string | undefined, token: string) {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? ''
  return crypto.timingSafeEqual(digest(presented), digest(token)) && presented.length > 0
}

function within<T>(ms: number, work: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

async function readGauges(db: DB, requestsPerSecond: number): Promise<ScrapeGauges> {
  const [health, outbox] = await Promise.all([
    pingDatabase(db, { timeoutMs: SCRAPE_READ_TIMEOUT_MS }),
    within(
      SCRAPE_READ_TIMEOUT_MS,
      computeOutboxStats(db, { requestsPerSecond }).then(
        (stats) => ({
          backlog: { confirmation: stats.confirmationsQueued, transactional: stats.otherQueued, update: stats.updatesRemaining },
          oldestDueAgeSeconds: (stats.oldestQueuedAgeMs ?? 0) / 1000,
          oldestConfirmationAgeSeconds: (stats.oldestConfirmationAgeMs ?? 0) / 1000,
        }),
        (error: unknown) => {
          console.error(`vigil: metrics: the outbox figures could not be read (${error instanceof Error ? error.name : 'error'})`)
          return null
        },
      ),
      null,
    ),
  ])
  return { databaseUp: health.ok, outbox }
}

export function createMetricsEndpoint({ db, token, requestsPerSecond, baseHeaders }: { db: DB; token: string; requestsPerSecond: number; baseHeaders: string[] }) {
  return async function serveMetrics(req: http.IncomingMessage, res: http.ServerResponse) {
    const plain = ['Content-Type', 'text/plain; charset=utf-8', 'Cache-Control', 'no-store']
    if (!tokenMatches(req.headers.authorization, token)) {
      res.writeHead(401, [...baseHeaders, ...plain, 'WWW-Authenticate', 'Bearer realm="vigil metrics"']).end('Unauthorized.\n')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, [...baseHeaders, ...plain, 'Allow', 'GET, HEAD']).end('Method not allowed.\n')
      return
    }
    const body = renderMetrics(await readGauges(db, requestsPerSecond))
    res.writeHead(200, [...baseHeaders, 'Content-Type', 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control', 'no-store', 'Content-Length', String(Buffer.byteLength(body))])
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}

/**
 * `npm run worker`'s /metrics (METRICS_PORT): the same endpoint on a small server of its own,
 * since the worker serves no pages. Anything but /metrics is a 404. Resolves once listening.
 */
export function startMetricsServer({ db, token, requestsPerSecond, host, port }: { db: DB; token: string; requestsPerSecond: number; host: string; port: number }) {
  const baseHeaders = securityHeaders({ https: false }).flat()
  const serveMetrics = createMetricsEndpoint({ db, token, requestsPerSecond, baseHeaders })
  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? '').split('?')[0]
    if (pathname === '/metrics') {
      serveMetrics(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, [...baseHeaders, 'Content-Type', 'text/plain; charset=utf-8'])
        res.end()
      })
      return
    }
    res.writeHead(404, [...baseHeaders, 'Content-Type', 'text/plain; charset=utf-8', 'Cache-Control', 'no-store']).end('Not found.\n')
  })
  // A scrape every few seconds: no reason to keep idle connections past a stop.
  server.keepAliveTimeout = 5_000
  return new Promise<{ port: number; close: () => Promise<void> }>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      const address = server.address()
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}
