/**
 * Wall-clock times typed into a datetime-local field carry no time zone. The browser
 * tells the form which zone the organiser is in (an IANA name, UTC without JavaScript),
 * and the server turns the pair into an instant.
 */
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/

export function isTimeZone(value: string) {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value })
    return true
  } catch {
    return false
  }
}

/** How far `timeZone`'s clocks are ahead of UTC at `epochMs`, in ms. */
function zoneOffsetMs(epochMs: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(epochMs))
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value)
  const asUtc = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'))
  return asUtc - Math.floor(epochMs / 1000) * 1000
}

/**
 * The instant at which clocks in `timeZone` show `local` ('2026-12-01T09:30', seconds
 * optional); null when either is not valid. A time skipped by a daylight-saving change
 * resolves to the instant an hour later, as calendar apps do.
 */
export function zonedTimeToEpoch(local: string, timeZone: string): number | null {
  const m = LOCAL_DATE_TIME.exec(local)
  if (!m || !isTimeZone(timeZone)) return null
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number]
  const wall = Date.UTC(year, month - 1, day, hour, minute, second)
  const check = new Date(wall)
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null
  // The offset at the guessed instant, then again at the corrected one (it differs only across a DST change).
  const first = wall - zoneOffsetMs(wall, timeZone)
  return wall - zoneOffsetMs(first, timeZone)
}
