import { Fragment } from 'react'

/**
 * An email address that wraps where a reader expects it to: after the @ and before each dot
 * (and after + and -), never in the middle of a word unless a part alone is wider than its cell.
 */
export function EmailAddress({ address }: { address: string }) {
  const parts = address.split(/(?<=[@+-])|(?=\.)/)
  return (
    <span className="email-address">
      {parts.map((part, i) => (
        <Fragment key={i}>
          {i > 0 ? <wbr /> : null}
          {part}
        </Fragment>
      ))}
    </span>
  )
}
