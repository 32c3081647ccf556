import type { TFunction } from 'i18next'
import { z } from 'zod'

/**
 * What /admin/webauthn and /admin/passkeys accept. The browser library's JSON travels as the
 * form field `response` (admin bodies are url-encoded forms, ADR 019): at most 64 KiB, parsed
 * here into the shape @simplewebauthn/server expects, so a garbage answer is a 400 before any
 * verification runs.
 */
export const PASSKEY_RESPONSE_MAX = 64 * 1024
export const PASSKEY_NAME_MAX = 60

export const WEBAUTHN_INTENTS = ['register-options', 'register', 'second-factor-options', 'second-factor', 'sign-in-options', 'sign-in'] as const
export type WebauthnIntent = (typeof WEBAUTHN_INTENTS)[number]

export function isWebauthnIntent(value: unknown): value is WebauthnIntent {
  return typeof value === 'string' && (WEBAUTHN_INTENTS as readonly string[]).includes(value)
}

const base64url = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9_-]*$/)
const common = {
  id: base64url(1366).min(1),
  rawId: base64url(1366).min(1),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.unknown()).default({}),
  type: z.literal('public-key'),
}

export const registrationResponseSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: base64url(8192).min(1),
    attestationObject: base64url(PASSKEY_RESPONSE_MAX).min(1),
    authenticatorData: base64url(PASSKEY_RESPONSE_MAX).optional(),
    transports: z.array(z.string().max(32)).max(10).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(PASSKEY_RESPONSE_MAX).optional(),
  }),
})

export const authenticationResponseSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: base64url(8192).min(1),
    authenticatorData: base64url(PASSKEY_RESPONSE_MAX).min(1),
    signature: base64url(2048).min(1),
    userHandle: base64url(128).optional(),
  }),
})

/** The `response` field as JSON of the given shape, or null (absent, too long, not JSON, wrong shape). */
export function parsePasskeyResponse<T extends z.ZodTypeAny>(schema: T, value: FormDataEntryValue | null): z.infer<T> | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > PASSKEY_RESPONSE_MAX) return null
  let json: unknown
  try {
    json = JSON.parse(value)
  } catch {
    return null
  }
  const parsed = schema.safeParse(json)
  return parsed.success ? (parsed.data as z.infer<T>) : null
}

/** A passkey's name: the organiser's words, one line. */
export function passkeyNameSchema(t: TFunction) {
  return z
    .string({ required_error: t('admin.passkeys.nameRequired') })
    .trim()
    .min(1, t('admin.passkeys.nameRequired'))
    .max(PASSKEY_NAME_MAX, t('admin.passkeys.nameTooLong', { count: PASSKEY_NAME_MAX }))
    .regex(/^[^\p{Cc}\p{Cf}]*$/u, t('admin.passkeys.nameInvalid'))
}

export function renamePasskeySchema(t: TFunction) {
  return z.object({
    intent: z.literal('rename'),
    id: z.coerce.number().int().positive(),
    name: passkeyNameSchema(t),
  })
}
