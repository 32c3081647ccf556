import {
  FormProvider,
  getFormProps,
  getInputProps,
  getSelectProps,
  getTextareaProps,
  useField,
  useFormMetadata,
  type FieldMetadata,
  type FormMetadata,
} from '@conform-to/react'
import { Form } from '@remix-run/react'
import type { ComponentProps, ReactNode } from 'react'
import { ErrorSummary } from './error-summary.tsx'

export function ErrorList({ id, errors }: { id?: string; errors?: string[] }) {
  if (!errors?.length) return null
  return (
    <ul id={id} className="field__errors">
      {errors.map((e) => (
        <li key={e}>{e}</li>
      ))}
    </ul>
  )
}

function FormErrors() {
  const form = useFormMetadata()
  return <ErrorList id={form.errorId} errors={form.errors} />
}

/**
 * A Remix <Form> wired to a Conform form, with its form-level errors on top, or, given
 * `summary` (each field's label by name, in order), an error summary listing every error
 * with a link to its field (`lastResult`, the server's answer, lets it take the focus). The FormProvider lets each field subscribe to its own state
 * (useField), so messages from client-side validation re-render the field that shows them.
 */
export function ConformForm<T extends Record<string, unknown>>({
  form,
  children,
  summary,
  lastResult,
  as: FormComponent = Form,
  ...props
}: { form: FormMetadata<T, string[]>; as?: typeof Form; summary?: Record<string, string>; lastResult?: unknown } & Omit<
  ComponentProps<typeof Form>,
  'id' | 'onSubmit' | 'noValidate'
>) {
  return (
    <FormProvider context={form.context}>
      <FormComponent method="post" {...getFormProps(form)} {...props}>
        {summary ? <ErrorSummary labels={summary} serverResult={lastResult} /> : <FormErrors />}
        {children}
      </FormComponent>
    </FormProvider>
  )
}

export function CheckboxField({ meta: { name }, label, hint }: { meta: AnyField; label: ReactNode; hint?: ReactNode }) {
  const [meta] = useField<boolean>(name)
  const { key, ...props } = getInputProps(meta, { type: 'checkbox', ariaDescribedBy: hint ? `${meta.id}-hint` : undefined })
  return (
    <div className="field field--checkbox">
      <input key={key} {...props} />
      <label htmlFor={meta.id}>{label}</label>
      {hint ? (
        <p className="field__hint" id={`${meta.id}-hint`}>
          {hint}
        </p>
      ) : null}
      <ErrorList id={meta.errorId} errors={meta.errors} />
    </div>
  )
}

type Common = { label: ReactNode; hint?: ReactNode; className?: string }
type AnyField = { name: string }

function Shell({ meta, label, hint, className, children }: Common & { meta: FieldMetadata<unknown>; children: ReactNode }) {
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={meta.id}>{label}</label>
      {hint ? (
        <p className="field__hint" id={`${meta.id}-hint`}>
          {hint}
        </p>
      ) : null}
      {children}
      <ErrorList id={meta.errorId} errors={meta.errors} />
    </div>
  )
}

export function TextField({
  meta: { name },
  type = 'text',
  autoComplete,
  inputMode,
  onFocus,
  ...rest
}: Common & {
  meta: AnyField
  type?: 'text' | 'email' | 'password' | 'number' | 'date' | 'datetime-local' | 'url'
  autoComplete?: string
  inputMode?: 'decimal' | 'numeric' | 'email' | 'text'
  onFocus?: () => void
}) {
  const [meta] = useField<string>(name)
  const { key, ...props } = getInputProps(meta, { type, ariaDescribedBy: rest.hint ? `${meta.id}-hint` : undefined })
  return (
    <Shell meta={meta as FieldMetadata<unknown>} {...rest}>
      <input key={key} {...props} autoComplete={autoComplete} inputMode={inputMode} onFocus={onFocus} />
    </Shell>
  )
}

export function TextAreaField({ meta: { name }, rows = 6, ...rest }: Common & { meta: AnyField; rows?: number }) {
  const [meta] = useField<string>(name)
  const { key, ...props } = getTextareaProps(meta, { ariaDescribedBy: rest.hint ? `${meta.id}-hint` : undefined })
  return (
    <Shell meta={meta as FieldMetadata<unknown>} {...rest}>
      <textarea key={key} rows={rows} {...props} />
    </Shell>
  )
}

export function SelectField({
  meta: { name },
  options,
  ...rest
}: Common & { meta: AnyField; options: { value: string; label: string }[] }) {
  const [meta] = useField<string>(name)
  const { key, ...props } = getSelectProps(meta, { ariaDescribedBy: rest.hint ? `${meta.id}-hint` : undefined })
  return (
    <Shell meta={meta as FieldMetadata<unknown>} {...rest}>
      <select key={key} {...props}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Shell>
  )
}
