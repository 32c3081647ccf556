// Foundation stubs (issue 18): part P2 replaces the bodies; the props are the contract.

export type PasskeySignInButtonProps = {
  /** 'sign_in': passwordless on the login page; 'second_factor': on /admin/two-factor. */
  mode: 'sign_in' | 'second_factor'
  redirectTo: string
}

/** Renders nothing until hydrated and WebAuthn exists; then a button that signs in with a passkey. */
export function PasskeySignInButton(_props: PasskeySignInButtonProps) {
  return null
}

export type AddPasskeyButtonProps = {
  /** Called after a passkey was added; `codes` are new recovery codes when it was the first factor. */
  onAdded: (codes: string[] | null) => void
}

export function AddPasskeyButton(_props: AddPasskeyButtonProps) {
  return null
}
