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
