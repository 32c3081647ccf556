import { useId, useState, useSyncExternalStore, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'

/**
 * The passkey buttons (ADR 019 §10). WebAuthn needs JavaScript, so they render nothing on the
 * server, while React hydrates, and in a browser without passkeys; everything else on the
 * pages that carry them works without. @simplewebauthn/browser is imported inside the handler:
 * Vite makes it a chunk of its own, fetched from this site only when someone presses a button.
 */

const subscribe = () => () => {}
/** True once mounted in a browser that has WebAuthn at all. */
function usePasskeysAvailable() {
  return useSyncExternalStore(
    subscribe,
    () => typeof window.PublicKeyCredential === 'function',
    () => false,
  )
}

type Answer = { error?: string; location?: string; options?: unknown; ok?: boolean; recoveryCodes?: string[] | null }

/** One request to /admin/webauthn, as a url-encoded form (admin bodies are forms, ADR 019). */
async function ask(fields: Record<string, string>): Promise<Answer> {
  const response = await fetch('/admin/webauthn', { method: 'POST', body: new URLSearchParams(fields), credentials: 'same-origin' })
  const answer = (await response.json().catch(() => ({}))) as Answer
  if (response.ok) return answer
  // Signed out or sent to another step meanwhile: go there rather than show a dead end.
  if (response.status === 401 && answer.location) window.location.assign(answer.location)
  throw new AnswerError(answer.error)
}

class AnswerError extends Error {
  constructor(public shown: string | undefined) {
    super('refused')
  }
}

/** The message for a failure: the server's, in the visitor's language, or one of ours for the browser's own. */
function messageFor(error: unknown, t: (key: string) => string) {
  if (error instanceof AnswerError) return error.shown ?? t('passkeys.errors.refused')
  // The person cancelled, or the browser's prompt timed out: say so plainly, it is not an error of theirs.
  if (error instanceof Error && (error.name === 'NotAllowedError' || error.name === 'AbortError')) return t('passkeys.errors.cancelled')
  if (error instanceof Error && error.name === 'InvalidStateError') return t('passkeys.errors.duplicate')
  return t('passkeys.errors.browser')
}

export type PasskeySignInButtonProps = {
  /** 'sign_in': passwordless on the login page; 'second_factor': on /admin/two-factor. */
  mode: 'sign_in' | 'second_factor'
  redirectTo: string
}

/** Renders nothing until hydrated and WebAuthn exists; then a button that signs in with a passkey. */
export function PasskeySignInButton({ mode, redirectTo }: PasskeySignInButtonProps) {
  const { t } = useTranslation()
  const available = usePasskeysAvailable()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  if (!available) return null

  async function signIn() {
    setBusy(true)
    setError(null)
    try {
      const { startAuthentication } = await import('@simplewebauthn/browser')
      const intent = mode === 'sign_in' ? 'sign-in' : 'second-factor'
      const { options } = await ask({ intent: `${intent}-options` })
      const response = await startAuthentication({ optionsJSON: options as Parameters<typeof startAuthentication>[0]['optionsJSON'] })
      const answer = await ask({ intent, response: JSON.stringify(response), redirectTo })
      window.location.assign(answer.location ?? '/admin')
    } catch (caught) {
      setError(messageFor(caught, t))
      setBusy(false)
    }
  }

  return (
    <div className="stack passkey-sign-in">
      {mode === 'sign_in' ? <p className="muted">{t('login.passkeyDivider')}</p> : null}
      <button type="button" className="button button--quiet" onClick={signIn} disabled={busy}>
        {busy ? t('passkeys.waiting') : mode === 'sign_in' ? t('passkeys.signIn') : t('passkeys.useForSecondFactor')}
      </button>
      <p aria-live="polite" className={error ? 'notice notice--error' : 'visually-hidden'}>
        {error ?? ''}
      </p>
    </div>
  )
}

export type AddPasskeyButtonProps = {
  /** Called after a passkey was added; `codes` are new recovery codes when it was the first factor. */
  onAdded: (codes: string[] | null) => void
}

/** A name field and "Add a passkey": the browser asks the authenticator, the server keeps the public key. */
export function AddPasskeyButton({ onAdded }: AddPasskeyButtonProps) {
  const { t } = useTranslation()
  const available = usePasskeysAvailable()
  const id = useId()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [name, setName] = useState('')
  if (!available) return null

  async function add(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const { startRegistration } = await import('@simplewebauthn/browser')
      const { options } = await ask({ intent: 'register-options' })
      const response = await startRegistration({ optionsJSON: options as Parameters<typeof startRegistration>[0]['optionsJSON'] })
      const answer = await ask({ intent: 'register', response: JSON.stringify(response), name })
      setName('')
      onAdded(answer.recoveryCodes ?? null)
    } catch (caught) {
      setError(messageFor(caught, t))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="stack panel" onSubmit={add} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('passkeys.addTitle')}</h2>
      <p className="muted">{t('passkeys.addIntro')}</p>
      <div className="field">
        <label htmlFor={`${id}-name`}>{t('passkeys.nameLabel')}</label>
        <p className="field__hint" id={`${id}-hint`}>{t('passkeys.nameHint')}</p>
        <input id={`${id}-name`} name="name" maxLength={60} value={name} onChange={(e) => setName(e.target.value)} aria-describedby={`${id}-hint`} autoComplete="off" />
      </div>
      <button type="submit" className="button" disabled={busy}>
        {busy ? t('passkeys.waiting') : t('passkeys.add')}
      </button>
      <p aria-live="polite" className={error ? 'notice notice--error' : 'visually-hidden'}>
        {error ?? ''}
      </p>
    </form>
  )
}
