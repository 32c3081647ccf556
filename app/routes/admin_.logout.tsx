import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { endSession } from '~/workflows/session.server.ts'

// Logging out changes state, so it is a POST; a stray GET just goes back.
export async function loader() {
  return redirect('/admin')
}

export async function action({ request, context }: ActionFunctionArgs) {
  return endSession(context.db, request)
}
