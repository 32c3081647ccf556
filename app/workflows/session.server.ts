import { redirect } from '@remix-run/node'
import type { Handle } from '#db/client.server.ts'
import type { Locale, SecondFactorMethod, SessionLevel } from '#db/schema.ts'
import { requireCampaignForAdmin } from '~/models/campaigns.server.ts'
import { getCampaignRole, type SessionOrganizer } from '~/models/organizers.server.ts'
import { getSecondFactorPolicy, getSecondFactorStatus, managesACampaign } from '~/models/second-factors.server.ts'
import { createSession, deleteSession, findSession, findSessionOrganizer, replaceSession, SESSION_TOUCH_MS, touchSession, type FoundSession } from '~/models/sessions.server.ts'
import { readCookieValue, sessionCookie } from '~/utils/auth-cookies.server.ts'
import { DEMO_ORGANIZER } from '~/utils/demo-identity.ts'
import { roleAtLeast, type CampaignRoleName, type EffectiveRole } from '~/utils/roles.ts'
import { secondFactorRequired } from '~/utils/second-factor.ts'
import { describeUserAgent } from '~/utils/user-agent.ts'
import { noteSignInDevice } from './devices.server.ts'

export { SESSION_TOUCH_MS }

/** A live session as the guard sees it (the model's row, joined with its organiser). */
export type SessionState = FoundSession

/** The page a half session is sent to (ADR 019 §4). */
export const TWO_FACTOR_PATH = '/admin/two-factor'
export const TWO_FACTOR_SETUP_PATH = '/admin/two-factor-setup'

async function readToken(request: Request): Promise<string | null> {
  return readCookieValue(sessionCookie(), request)
}

/** The demo organiser: exempt from the policy and unable to add a factor (its password is published). */
export function isDemoOrganizer(organizer: Pick<SessionOrganizer, 'email'>) {
  return organizer.email === DEMO_ORGANIZER.email
}

/** The session the cookie names, at any level (not expired, organiser not disabled); notes it as seen now and then. */
export async function getSessionState(db: Handle, request: Request): Promise<SessionState | null> {
  const token = await readToken(request)
  if (!token) return null
  const now = Date.now()
  const found = await findSession(db, { token, now })
  if (!found) return null
  if (found.lastSeenAt < now - SESSION_TOUCH_MS) await touchSession(db, { idHash: found.idHash, now })
  return found
}

/** Full sessions only (the root header, the login page): a half session is nobody yet. */
export async function getOrganizer(db: Handle, request: Request): Promise<SessionOrganizer | null> {
  const state = await getSessionState(db, request)
  return state?.level === 'full' ? state.organizer : null
}

function here(request: Request) {
  const url = new URL(request.url)
  return `${url.pathname}${url.search}`
}

function withRedirectTo(path: string, redirectTo: string) {
  return redirectTo === '/admin' ? path : `${path}?${new URLSearchParams({ redirectTo })}`
}

function loginRedirect(request: Request) {
  return redirect(withRedirectTo('/admin/login', here(request)))
}

/** Where a session of `level` must go before anything else; null for a full one. */
function pendingPage(level: SessionLevel): string | null {
  if (level === 'password') return TWO_FACTOR_PATH
  if (level === 'setup') return TWO_FACTOR_SETUP_PATH
  return null
}

/**
 * THE guard of every admin loader and action: anonymous visitors go to the login page; a
 * session that owes a second factor goes to /admin/two-factor, one that must set one up to
 * /admin/two-factor-setup, each with the page asked for as redirectTo. Thrown redirects carry
 * no data (a `.data` request gets single fetch's encoded redirect).
 */
export async function requireOrganizer(db: Handle, request: Request): Promise<SessionOrganizer> {
  return (await requireFullSession(db, request)).organizer
}

/** requireOrganizer, answering the whole session (its id hash binds a set-up in progress to it). */
export async function requireFullSession(db: Handle, request: Request): Promise<SessionState> {
  const state = await getSessionState(db, request)
  if (!state) throw loginRedirect(request)
  const page = pendingPage(state.level)
  if (page) throw redirect(withRedirectTo(page, safeRedirect(here(request))))
  return state
}

/**
 * The two-factor pages: anonymous → login; a full session → /admin; the other half level →
 * its own page (keeping redirectTo).
 */
export async function requirePendingSession(db: Handle, request: Request, level: 'password' | 'setup'): Promise<SessionState> {
  const state = await getSessionState(db, request)
  if (!state) throw redirect('/admin/login')
  if (state.level === level) return state
  if (state.level === 'full') throw redirect('/admin')
  const redirectTo = safeRedirect(new URL(request.url).searchParams.get('redirectTo'))
  throw redirect(withRedirectTo(pendingPage(state.level)!, redirectTo))
}

/**
 * Adding a factor (app, passkey): a 'setup' or 'full' session. A 'password' session must
 * present its factor first. The demo organiser is refused with a 403.
 */
export async function requireFactorEnrolment(db: Handle, request: Request): Promise<SessionState> {
  const state = await getSessionState(db, request)
  if (!state) throw loginRedirect(request)
  if (state.level === 'password') throw redirect(withRedirectTo(TWO_FACTOR_PATH, safeRedirect(here(request))))
  if (isDemoOrganizer(state.organizer)) {
    throw new Response('The demo organiser cannot add a second factor: its password is published.', { status: 403, statusText: 'Forbidden' })
  }
  return state
}

/** The level a sign-in whose first check passed starts at (ADR 019 §3). */
async function signInLevel(db: Handle, organizer: SessionOrganizer): Promise<SessionLevel> {
  const status = await getSecondFactorStatus(db, { organizerId: organizer.id })
  if (status.totp || status.passkeys > 0) return 'password'
  const policy = await getSecondFactorPolicy(db)
  const required = secondFactorRequired({
    policy,
    role: organizer.role,
    managesACampaign: policy === 'owners_managers' ? await managesACampaign(db, { organizerId: organizer.id }) : false,
    isDemo: isDemoOrganizer(organizer),
  })
  return required ? 'setup' : 'full'
}

/**
 * A sign-in that passed its first check (the password, or a passwordless passkey with user
 * verification, which is full at once): decides the level, creates the session (audited as
 * organizer.login { level, method }), notes the device. The caller answers with a redirect
 * (or JSON) to `location` with `headers`.
 */
export async function startSession(db: Handle, {
  organizerId,
  request,
  lang,
  redirectTo,
  passkey = false,
}: {
  organizerId: number
  request: Request
  lang: Locale
  redirectTo: string
  passkey?: boolean
}): Promise<{ headers: Headers; location: string }> {
  const organizer = await findOrganizerForSession(db, organizerId)
  const level: SessionLevel = passkey ? 'full' : await signInLevel(db, organizer)
  const device = describeUserAgent(request.headers.get('User-Agent'))
  const { token } = await createSession(db, {
    organizerId,
    level,
    secondFactor: passkey ? 'passkey' : null,
    device,
    method: passkey ? 'passkey' : 'password',
  })
  const noted = await noteSignInDevice(db, { organizerId, request, lang, device })
  const headers = new Headers()
  headers.append('Set-Cookie', await sessionCookie().serialize(token))
  if (noted.setCookie) headers.append('Set-Cookie', noted.setCookie)
  const target = safeRedirect(redirectTo)
  const page = pendingPage(level)
  return { headers, location: page ? withRedirectTo(page, target) : target }
}

async function findOrganizerForSession(db: Handle, organizerId: number): Promise<SessionOrganizer> {
  const organizer = await findSessionOrganizer(db, { organizerId })
  // Disabled (or removed) between the first check and here: no session, back to the login page.
  if (!organizer) throw redirect('/admin/login')
  return organizer
}

/**
 * A second factor passed, or the first factor was set up: the session becomes 'full' under a
 * new token (the old cookie is worth nothing from now on), audited as organizer.second_factor
 * { method }. A session that is gone meanwhile is sent to the login page.
 */
export async function raiseSession(db: Handle, request: Request, { method }: { method: SecondFactorMethod }): Promise<{ setCookie: string }> {
  const state = await getSessionState(db, request)
  if (!state) throw redirect('/admin/login')
  const raised = await replaceSession(db, { oldIdHash: state.idHash, level: 'full', secondFactor: method })
  if (!raised) throw redirect('/admin/login')
  return { setCookie: await sessionCookie().serialize(raised.token) }
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
