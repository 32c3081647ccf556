const GMAIL = new Set(['gmail.com', 'googlemail.com'])

/**
 * The key we use to find one person's signature however they typed their address:
 * case and surrounding space never matter, "+tags" are dropped, and Gmail ignores dots.
 * We still write to the address exactly as typed.
 */
export function normalizeEmail(email: string) {
  const trimmed = email.trim().toLowerCase()
  const at = trimmed.lastIndexOf('@')
  if (at < 1) return trimmed
  let local = trimmed.slice(0, at)
  let domain = trimmed.slice(at + 1)
  const plus = local.indexOf('+')
  if (plus > 0) local = local.slice(0, plus)
  if (GMAIL.has(domain)) {
    local = local.replaceAll('.', '')
    domain = 'gmail.com'
  }
  return `${local}@${domain}`
}

export function emailDomain(email: string) {
  return email.slice(email.lastIndexOf('@') + 1).trim().toLowerCase()
}

/**
 * An address as the preferences page shows it, `a•••@example.org`: enough for its owner to
 * tell which of their addresses the settings are for, not enough to learn it from a link
 * that was forwarded or left in a shared browser's history.
 */
export function maskEmail(email: string) {
  const trimmed = email.trim()
  const at = trimmed.lastIndexOf('@')
  if (at < 1) return '•••'
  return `${trimmed[0]}•••${trimmed.slice(at).toLowerCase()}`
}

/**
 * An address as organisers who may not see addresses get it (the outbox), `b•••@e•••.org`:
 * the first letter of the name and of the domain and the top-level domain, so that rows can be
 * told apart at a glance without telling who they are.
 */
export function maskEmailForOrganisers(email: string) {
  const trimmed = email.trim().toLowerCase()
  const at = trimmed.lastIndexOf('@')
  if (at < 1) return '•••'
  const domain = trimmed.slice(at + 1)
  const dot = domain.lastIndexOf('.')
  const tld = dot > 0 ? domain.slice(dot) : ''
  return `${Array.from(trimmed)[0]}•••@${domain ? `${Array.from(domain)[0]}•••` : ''}${tld}`
}
