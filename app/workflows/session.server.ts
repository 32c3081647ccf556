import { createCookie, redirect } from '@remix-run/node'
import type { Handle } from '#db/client.server.ts'
import { requireCampaignForAdmin } from '~/models/campaigns.server.ts'
import {
  createSession,
  deleteSession,
  getCampaignRole,
  getSessionOrganizer,
  SESSION_TTL_MS,
  type SessionOrganizer,
} from '~/models/organizers.server.ts'
import { roleAtLeast, type CampaignRoleName, type EffectiveRole } from '~/utils/roles.ts'
import { getEnv } from '~/utils/config.server.ts'
import { SESSION_COOKIE } from '~/utils/session-cookie.ts'

declare global {
  var __vigilSessionCookie: ReturnType<typeof createCookie> | undefined
}

function sessionCookie() {
  const env = getEnv()
  globalThis.__vigilSessionCookie ??= createCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: 'lax',
    secure: env.publicUrl.startsWith('https:'),
    path: '/',
    maxAge: SESSION_TTL_MS / 1000,
    secrets: [env.sessionSecret],
  })
  return globalThis.__vigilSessionCookie
}

async function readToken(request: Request): Promise<string | null> {
  const value: unknown = await sessionCookie().parse(request.headers.get('Cookie'))
  return typeof value === 'string' && value.length > 0 ? value : null
}

export async function getOrganizer(db: Handle, request: Request): Promise<SessionOrganizer | null> {
  const token = await readToken(request)
  return token ? getSessionOrganizer(db, { token }) : null
}

function loginRedirect(request: Request) {
  const url = new URL(request.url)
  const redirectTo = `${url.pathname}${url.search}`
  const search = redirectTo === '/admin' ? '' : `?${new URLSearchParams({ redirectTo })}`
  return redirect(`/admin/login${search}`)
}

/** Throws a redirect to the login page for anonymous visitors. */
export async function requireOrganizer(db: Handle, request: Request): Promise<SessionOrganizer> {
  const organizer = await getOrganizer(db, request)
  if (!organizer) throw loginRedirect(request)
  return organizer
}

/** Owners only: editors get a 403 page. */
export async function requireOwner(db: Handle, request: Request): Promise<SessionOrganizer> {
  const organizer = await requireOrganizer(db, request)
  if (organizer.role !== 'owner') {
    throw new Response('Only owners can do this.', { status: 403, statusText: 'Forbidden' })
  }
  return organizer
}

/** The answer for a campaign that does not exist and for one the organiser has no role on: the same, so ids tell nothing. */
function campaignNotFound() {
  return new Response('Campaign not found', { status: 404, statusText: 'Not Found' })
}

/** What an organiser is on a campaign: 'owner' for instance owners, else their membership's role, else null. */
export async function campaignRoleOf(db: Handle, organizer: SessionOrganizer, campaignId: number): Promise<EffectiveRole | null> {
  if (organizer.role === 'owner') return 'owner'
  return getCampaignRole(db, { organizerId: organizer.id, campaignId })
}

/**
 * The guard of every campaign route (ADR 011): anonymous visitors go to the login page; a
 * campaign the organiser has no role on is a 404, like one that does not exist; a role
 * below `min` on their own campaign is a 403. Returns the organiser, the campaign and the role.
 */
export async function requireCampaignRole(db: Handle, request: Request, idParam: string | undefined, min: CampaignRoleName | 'owner') {
  const organizer = await requireOrganizer(db, request)
  const id = Number(idParam)
  if (!Number.isSafeInteger(id) || id <= 0) throw campaignNotFound()
  const role = await campaignRoleOf(db, organizer, id)
  if (!role) throw campaignNotFound()
  const campaign = await requireCampaignForAdmin(db, idParam)
  if (!roleAtLeast(role, min)) {
    throw new Response('Your role on this campaign does not allow this.', { status: 403, statusText: 'Forbidden' })
  }
  return { organizer, campaign, role }
}

export async function startSession(db: Handle, organizerId: number, redirectTo: string) {
  const { token } = await createSession(db, { organizerId })
  return redirect(safeRedirect(redirectTo), {
    headers: { 'Set-Cookie': await sessionCookie().serialize(token) },
  })
}

export async function endSession(db: Handle, request: Request) {
  const token = await readToken(request)
  if (token) await deleteSession(db, { token })
  return redirect('/admin/login', {
    headers: { 'Set-Cookie': await sessionCookie().serialize('', { maxAge: 0 }) },
  })
}

/**
 * Only same-site paths, so a crafted login link cannot send an organiser elsewhere. Browsers
 * drop tabs and newlines inside a URL and read a backslash as a slash ("/\t/evil" is "//evil"),
 * so any of those is refused outright; what is left is resolved as a browser would, and must
 * stay on this site as a path that does not start with "//". The answer is ASCII only, safe
 * for a Location header.
 */
export function safeRedirect(to: unknown, fallback = '/admin') {
  if (typeof to !== 'string' || !to.startsWith('/') || to.startsWith('//')) return fallback
  if (/[\u0000-\u001f\u007f\\]/.test(to)) return fallback
  // Any origin will do: only whether the resolved URL stays on it matters.
  const self = 'http://vigil.invalid'
  let url: URL
  try {
    url = new URL(to, self)
  } catch {
    return fallback
  }
  if (url.origin !== self || url.pathname.startsWith('//')) return fallback
  return `${url.pathname}${url.search}${url.hash}`
}
