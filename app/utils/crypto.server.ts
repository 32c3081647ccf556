import crypto from 'node:crypto'

export function randomToken(bytes = 32) {
  return crypto.randomBytes(bytes).toString('base64url')
}

export function sha256(value: string) {
  return crypto.createHash('sha256').update(value).digest('hex')
}

export function hmac(secret: string, value: string) {
  return crypto.createHmac('sha256', secret).update(value).digest('base64url')
}
