/**
 * A software authenticator for the passkey tests: what a platform authenticator and the browser
 * do between them, built to the WebAuthn spec (Level 2, §6.1 authenticator data, §6.5
 * attestation objects, §5.8.1 client data) with real ECDSA P-256 keys from node:crypto. Its
 * answers have the JSON shape @simplewebauthn/browser posts (RegistrationResponseJSON and
 * AuthenticationResponseJSON), so the server cannot tell them from a browser's. Each option
 * that a browser or authenticator would set on its own (origin, rpId, counter, user
 * verification) can be forced, to forge the answers an attacker would send.
 */
import crypto from 'node:crypto'

// ——— A minimal CBOR encoder (RFC 8949): unsigned and negative integers, byte and text strings, maps ———

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor> | { [key: string]: Cbor }

function head(major: number, value: number): Buffer {
  if (value < 24) return Buffer.from([(major << 5) | value])
  if (value < 0x100) return Buffer.from([(major << 5) | 24, value])
  if (value < 0x10000) {
    const b = Buffer.alloc(3)
    b[0] = (major << 5) | 25
    b.writeUInt16BE(value, 1)
    return b
  }
  const b = Buffer.alloc(5)
  b[0] = (major << 5) | 26
  b.writeUInt32BE(value, 1)
  return b
}

export function encodeCbor(value: Cbor): Buffer {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || Math.abs(value) > 0xffffffff) throw new Error('CBOR: small integers only')
    return value >= 0 ? head(0, value) : head(1, -1 - value)
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8')
    return Buffer.concat([head(3, bytes.length), bytes])
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)])
  const entries: [Cbor, Cbor][] = value instanceof Map ? [...value.entries()] : Object.entries(value)
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [encodeCbor(k), encodeCbor(v)])])
}

// ——— The authenticator ———

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
const sha256 = (data: Uint8Array | string) => crypto.createHash('sha256').update(data).digest()

/** Flags of authenticator data (§6.1): user present, user verified, backup eligible/state, attested credential data. */
const UP = 0x01
const UV = 0x04
const BE = 0x08
const BS = 0x10
const AT = 0x40

export type StoredCredential = {
  id: Buffer
  privateKey: crypto.KeyObject
  publicKey: crypto.KeyObject
  rpId: string
  userHandle: string
  counter: number
}

/** The creation options as the server sends them (PublicKeyCredentialCreationOptionsJSON), as far as an authenticator reads them. */
export type CreationOptions = {
  challenge: string
  rp: { id?: string; name: string }
  user: { id: string; name: string; displayName: string }
  excludeCredentials?: { id: string }[]
  authenticatorSelection?: { userVerification?: string; residentKey?: string }
}
export type RequestOptions = {
  challenge: string
  rpId?: string
  allowCredentials?: { id: string }[]
  userVerification?: string
}

export type Forge = {
  /** What the browser writes as clientDataJSON.origin (an attacker's page would be its own). */
  origin: string
  /** Whose rpIdHash goes into authenticator data (default: the options' rp id). */
  rpId?: string
  /** The signature counter to claim (default: the stored one plus one). */
  counter?: number
  /** Whether the user was verified (PIN, fingerprint): default true. */
  userVerified?: boolean
  /** Sign a challenge other than the options' (default: the options'). */
  challenge?: string
}

function coseKey(publicKey: crypto.KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' })
  // COSE_Key for EC2 / P-256 / ES256 (RFC 9053 §7.1): kty 2, alg -7, crv 1, x, y.
  return encodeCbor(new Map<Cbor, Cbor>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, Buffer.from(jwk.x!, 'base64url')],
    [-3, Buffer.from(jwk.y!, 'base64url')],
  ]))
}

function authenticatorData({ rpId, flags, counter, attested }: { rpId: string; flags: number; counter: number; attested?: Buffer }): Buffer {
  const count = Buffer.alloc(4)
  count.writeUInt32BE(counter >>> 0)
  return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])])
}

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }))
}

export class SoftAuthenticator {
  /** Resident credentials, as a platform authenticator keeps them. */
  readonly credentials: StoredCredential[] = []

  /** navigator.credentials.create(): a new P-256 key pair, attestation 'none'. */
  create(options: CreationOptions, forge: Forge) {
    const rpId = options.rp.id ?? new URL(forge.origin).hostname
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id))
    if (this.credentials.some((c) => excluded.has(b64url(c.id)))) throw new Error('InvalidStateError: this authenticator is excluded')
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const id = crypto.randomBytes(16)
    const counter = forge.counter ?? 0
    const stored: StoredCredential = { id, privateKey, publicKey, rpId, userHandle: options.user.id, counter }
    const idLength = Buffer.alloc(2)
    idLength.writeUInt16BE(id.length)
    // attestedCredentialData (§6.5.1): AAGUID (zeros for 'none'), the id's length, the id, the COSE key.
    const attested = Buffer.concat([Buffer.alloc(16), idLength, id, coseKey(publicKey)])
    const flags = UP | (forge.userVerified === false ? 0 : UV) | BE | BS | AT
    const authData = authenticatorData({ rpId: forge.rpId ?? rpId, flags, counter, attested })
    const attestationObject = encodeCbor(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]))
    this.credentials.push(stored)
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key' as const,
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientData('webauthn.create', forge.challenge ?? options.challenge, forge.origin)),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
    }
  }

  /** navigator.credentials.get(): signs authenticatorData ‖ SHA-256(clientDataJSON) with the credential's key. */
  get(options: RequestOptions, forge: Forge & { credentialId?: string }) {
    const rpId = options.rpId ?? new URL(forge.origin).hostname
    const allowed = (options.allowCredentials ?? []).map((c) => c.id)
    const credential = this.credentials.find((c) =>
      forge.credentialId ? b64url(c.id) === forge.credentialId : c.rpId === rpId && (allowed.length === 0 || allowed.includes(b64url(c.id))),
    )
    if (!credential) throw new Error('NotAllowedError: no credential for this request')
    credential.counter = forge.counter ?? credential.counter + 1
    const flags = UP | (forge.userVerified === false ? 0 : UV) | BE | BS
    const authData = authenticatorData({ rpId: forge.rpId ?? rpId, flags, counter: credential.counter })
    const clientDataJSON = clientData('webauthn.get', forge.challenge ?? options.challenge, forge.origin)
    const signature = crypto.sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey) // DER, as WebAuthn wants
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key' as const,
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
    }
  }
}
